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

/** Ed25519 over `message`, base64url: how checkpoints and verification records are signed. */
export function signMessage(privateKey: KeyObject, message: Buffer): string {
  return sign(null, message, privateKey).toString('base64url');
}

/** Whether `signature` (base64url) is an Ed25519 signature of `message` by `publicKey`; false for anything malformed. */
export function isMessageSignatureValid(publicKey: KeyObject, message: Buffer, signature: string): boolean {
  try {
    return verify(null, message, publicKey, Buffer.from(signature, 'base64url'));
  } catch {
    return false;
  }
}

export function signCheckpoint(key: ActiveSigningKey, claims: Omit<CheckpointClaims, 'kid'>): { kid: string; signature: string } {
  return { kid: key.kid, signature: signMessage(key.privateKey, checkpointMessage({ ...claims, kid: key.kid })) };
}

export function isCheckpointSignatureValid(publicKey: KeyObject, claims: CheckpointClaims, signature: string): boolean {
  return isMessageSignatureValid(publicKey, checkpointMessage(claims), signature);
}
