/**
 * Enforces: the JWS signature verifies with one of the party's candidate keys, under
 * exactly the header's `alg` (RFC 7523 §3 rule 9, RFC 7515 §5.2, RFC 8725 §3.1: jose
 * is always given `algorithms`). Without a `kid`, each fitting key is tried in turn.
 */
import { compactVerify } from 'jose';
import type { AssertionKind } from '../assertion-kind';
import { reject } from '../assertion-kind';
import type { CandidateKey } from '../types';

export async function verifySignature(compact: string, alg: string, keys: readonly CandidateKey[], kind: AssertionKind): Promise<CandidateKey> {
  const options = { algorithms: [alg] };
  let lastError: unknown;
  for (const candidate of keys) {
    try {
      await compactVerify(compact, candidate.key, options);
      return candidate;
    } catch (error) {
      // A jose error (bad signature, key unusable for alg, RSA modulus too short): try the next key.
      lastError = error;
    }
  }
  throw reject(kind, 'signature_invalid', 'The assertion signature is invalid', { cause: lastError });
}
