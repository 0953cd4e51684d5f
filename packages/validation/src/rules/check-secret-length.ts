/**
 * Enforces: a `client_secret_jwt` secret is at least as long as the output of the hash
 * its `alg` uses (RFC 7518 §3.2: "A key of the same size as the hash output ... or larger
 * MUST be used"): 32 bytes for HS256, 48 for HS384, 64 for HS512. A secret too short for
 * the assertion's algorithm is refused before any signature is computed with it.
 */
import { reject } from '../assertion-kind';
import type { CandidateKey } from '../types';

/** The floor for every HMAC client: HS256's 256 bits. */
export const MIN_CLIENT_SECRET_BYTES = 32;

const MIN_BYTES_BY_ALGORITHM: ReadonlyMap<string, number> = new Map([
  ['HS256', 32],
  ['HS384', 48],
  ['HS512', 64],
]);

/** The shortest secret (in bytes) that RFC 7518 §3.2 allows for this HMAC algorithm. */
export function minHmacSecretBytes(alg: string): number {
  return MIN_BYTES_BY_ALGORITHM.get(alg) ?? MIN_CLIENT_SECRET_BYTES;
}

export function checkSecretLength(keys: readonly CandidateKey[], alg: string): void {
  const needed = minHmacSecretBytes(alg);
  for (const candidate of keys) {
    if (candidate.key instanceof Uint8Array && candidate.key.byteLength < needed) {
      throw reject('client', 'secret_too_short', `The client secret is shorter than the ${needed} bytes that ${alg} needs (RFC 7518 §3.2) and cannot be used for client_secret_jwt`);
    }
  }
}
