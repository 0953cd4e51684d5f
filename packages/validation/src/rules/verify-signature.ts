/**
 * Enforces: the JWS signature verifies with one of the party's candidate keys, under
 * exactly the header's `alg` (RFC 7523 §3 rule 9, RFC 7515 §5.2, RFC 8725 §3.1: jose
 * is always given `algorithms`). Without a `kid`, each fitting key is tried in turn.
 */
import { compactVerify } from 'jose';
import type { AssertionKind } from '../assertion-kind';
import { reject } from '../assertion-kind';
import type { CandidateKey } from '../types';
import type { SelectedKeys } from './select-candidate-keys';

export async function verifySignature(compact: string, alg: string, selected: SelectedKeys, kind: AssertionKind): Promise<CandidateKey> {
  const options = { algorithms: [alg] };
  let lastError: unknown;
  for (const candidate of selected.keys) {
    try {
      await compactVerify(compact, candidate.key, options);
      return candidate;
    } catch (error) {
      // A jose error (bad signature, key unusable for alg, RSA modulus too short): try the next key.
      lastError = error;
    }
  }
  if (selected.unmatchedKid !== undefined) {
    throw reject(kind, 'unknown_kid', 'The assertion names a key ("kid") that is not registered', { kid: selected.unmatchedKid, cause: lastError });
  }
  throw reject(kind, 'signature_invalid', 'The assertion signature is invalid', { cause: lastError });
}
