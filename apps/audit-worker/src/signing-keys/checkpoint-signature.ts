/**
 * Checkpoint signatures: Ed25519 over the RFC 8785 canonical JSON of
 * {seq, hash, created_at, kid}, base64url.
 */
import { sign, verify, type KeyObject } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { ActiveSigningKey } from './signing-keys.service';

/** What a checkpoint signature covers. */
export interface CheckpointClaims {
  seq: number;
  hash: string;
  created_at: string;
  kid: string;
}

export function checkpointMessage(claims: CheckpointClaims): Buffer {
  return Buffer.from(canonicalize({ seq: claims.seq, hash: claims.hash, created_at: claims.created_at, kid: claims.kid })!, 'utf8');
}

export function signCheckpoint(key: ActiveSigningKey, claims: Omit<CheckpointClaims, 'kid'>): { kid: string; signature: string } {
  const signature = sign(null, checkpointMessage({ ...claims, kid: key.kid }), key.privateKey).toString('base64url');
  return { kid: key.kid, signature };
}

export function isCheckpointSignatureValid(publicKey: KeyObject, claims: CheckpointClaims, signature: string): boolean {
  try {
    return verify(null, checkpointMessage(claims), publicKey, Buffer.from(signature, 'base64url'));
  } catch {
    return false;
  }
}
