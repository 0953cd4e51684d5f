/**
 * Verification records (`audit.verifications`): "a walk found the chain intact up to the
 * signed checkpoint at `checkpoint_seq`, whose hash is `checkpoint_hash`", signed with the
 * worker's checkpoint key (Ed25519 over the RFC 8785 canonical JSON of the record with
 * `purpose: "audit-verification"`, base64url; the purpose keeps a record's signature from
 * ever passing for a checkpoint's and back). Anyone holding the published keys
 * (GET /v1/audit/keys) can check one.
 *
 * A record is trusted only when its signature verifies with a trusted (sealed) key; an
 * unsigned or forged row is skipped and counted, never believed. Reading looks at the
 * newest `MAX_EXAMINED` rows at most: past that many forged rows the walk starts from the
 * beginning (longer, never less safe).
 */
import type { KeyObject } from 'node:crypto';
import canonicalize from 'canonicalize';
import { isMessageSignatureValid, signMessage } from '../signing-keys/checkpoint-signature';
import type { ActiveSigningKey } from '../signing-keys/signing-keys.service';

export const VERIFICATION_PURPOSE = 'audit-verification';
export const MAX_EXAMINED = 100;

export interface VerificationClaims {
  checkpoint_seq: number;
  checkpoint_hash: string;
  /** The first seq the walk that wrote it read (1 from the genesis, or where it started). */
  from_seq: number;
  verified_at: string;
  kid: string;
}

export interface TrustedVerification {
  checkpointSeq: number;
  checkpointHash: string;
}

export interface NewestVerification {
  /** The newest record whose signature verifies, if any. */
  trusted: TrustedVerification | undefined;
  /** Rows newer than it (or among the examined) whose signature did not verify. */
  untrusted: number;
}

interface VerificationRow {
  checkpoint_seq: string;
  checkpoint_hash: string;
  from_seq: string;
  verified_at: Date;
  kid: string;
  signature: string;
}

type Query = (sql: string, params?: unknown[]) => Promise<never[]>;

export function verificationMessage(claims: VerificationClaims): Buffer {
  return Buffer.from(canonicalize({ purpose: VERIFICATION_PURPOSE, ...claims })!, 'utf8');
}

export function isVerificationSignatureValid(publicKey: KeyObject, claims: VerificationClaims, signature: string): boolean {
  return isMessageSignatureValid(publicKey, verificationMessage(claims), signature);
}

/** The newest trustworthy record (within the snapshot `query` reads). */
export async function newestVerification(query: Query, keys: Map<string, { key: KeyObject }>): Promise<NewestVerification> {
  const rows: VerificationRow[] = await query(
    `SELECT checkpoint_seq, checkpoint_hash, from_seq, verified_at, kid, signature FROM audit.verifications
      ORDER BY checkpoint_seq DESC, id DESC LIMIT ${MAX_EXAMINED}`,
  );
  let untrusted = 0;
  for (const row of rows) {
    const key = keys.get(row.kid)?.key;
    const claims: VerificationClaims = {
      checkpoint_seq: Number(row.checkpoint_seq),
      checkpoint_hash: row.checkpoint_hash,
      from_seq: Number(row.from_seq),
      verified_at: row.verified_at.toISOString(),
      kid: row.kid,
    };
    if (key !== undefined && isVerificationSignatureValid(key, claims, row.signature)) {
      return { trusted: { checkpointSeq: claims.checkpoint_seq, checkpointHash: claims.checkpoint_hash }, untrusted };
    }
    untrusted += 1;
  }
  return { trusted: undefined, untrusted };
}

/** Signs and stores a record (its own statement, after the walk's snapshot is closed). */
export async function recordVerification(
  query: Query,
  key: ActiveSigningKey,
  record: Omit<VerificationClaims, 'kid' | 'verified_at'>,
  now = new Date(),
): Promise<void> {
  const claims: VerificationClaims = { ...record, verified_at: now.toISOString(), kid: key.kid };
  const signature = signMessage(key.privateKey, verificationMessage(claims));
  await query(
    `INSERT INTO audit.verifications (checkpoint_seq, checkpoint_hash, from_seq, verified_at, kid, signature)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [claims.checkpoint_seq, claims.checkpoint_hash, claims.from_seq, claims.verified_at, claims.kid, signature],
  );
}
