/**
 * Enforces: the verification key comes only from the party's own key set, chosen by
 * `kid` when the header has one (RFC 7515 §4.1.4, RFC 8725 §3.10), and only keys whose
 * type, curve and declared `alg` fit the header's `alg` (RFC 8725 §2.1 and §3.1: no
 * RSA/HMAC or curve confusion). An unknown `kid` is reported distinctly, with the
 * `kid`, so the caller can refresh the party's keys and try again.
 */
import type { AssertionKind } from '../assertion-kind';
import { reject } from '../assertion-kind';
import { AssertionError } from '../errors';
import { isHmacAlgorithm, keyFitsAlgorithm } from '../algorithms';
import type { CandidateKey, KeyResolver } from '../types';
import type { CheckedHeader } from './check-header';

export interface SelectedKeys {
  keys: CandidateKey[];
  /**
   * Set when the header names a `kid` that no candidate carries (only kid-less keys were
   * offered): if none of them verifies, the failure is reported as `unknown_kid`, so the
   * caller refreshes the party's keys (a rotation from a kid-less key to a named one).
   */
  unmatchedKid?: string;
}

export async function selectCandidateKeys(resolver: KeyResolver, header: CheckedHeader, kind: AssertionKind): Promise<SelectedKeys> {
  const resolved = await resolveKeys(resolver, header);
  const { kid } = header;
  if (!Array.isArray(resolved)) {
    if (kid === undefined) throw reject(kind, 'no_matching_key', 'No registered key fits the assertion');
    throw reject(kind, 'unknown_kid', 'The assertion names a key ("kid") that is not registered', { kid });
  }
  // A sloppy resolver must not widen the choice: a key with another kid never verifies.
  const named = kid === undefined ? resolved : resolved.filter((key) => key.kid === undefined || key.kid === kid);
  if (named.length === 0) {
    if (kid === undefined) throw reject(kind, 'no_matching_key', 'No registered key fits the assertion');
    throw reject(kind, 'unknown_kid', 'The assertion names a key ("kid") that is not registered', { kid });
  }
  const fitting = named.filter((key) => keyFitsAlgorithm(key, header.alg));
  if (fitting.length === 0) {
    if (kid === undefined) throw reject(kind, 'no_matching_key', 'No registered key fits the assertion algorithm');
    throw reject(kind, 'alg_key_mismatch', 'The key named by "kid" cannot be used with the assertion algorithm');
  }
  // A client secret carries no kid and never rotates by kid: only public keys can be "unknown".
  if (kid !== undefined && !isHmacAlgorithm(header.alg) && !fitting.some((key) => key.kid === kid)) return { keys: fitting, unmatchedKid: kid };
  return { keys: fitting };
}

async function resolveKeys(resolver: KeyResolver, header: CheckedHeader): Promise<CandidateKey[] | { unknownKid: true }> {
  try {
    return await resolver.resolve(header.kid === undefined ? { alg: header.alg } : { alg: header.alg, kid: header.kid });
  } catch (cause) {
    throw new AssertionError('temporarily_unavailable', 'key_resolution_failed', 'The verification keys cannot be loaded; try again later', { cause });
  }
}
