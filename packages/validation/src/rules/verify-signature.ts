/**
 * Enforces: the JWS signature verifies with one of the party's candidate keys, under
 * exactly the header's `alg` (RFC 7523 §3 rule 9, RFC 7515 §5.2, RFC 8725 §3.1), by
 * `verifyJwsSignature` (node:crypto, as strict as jose's `compactVerify`). Without a
 * `kid`, each fitting key is tried in turn.
 *
 * What `compactVerify` also checked before the signature is enforced earlier, on the
 * same parsed header: `alg` present and not `none` and in the party's allowlist
 * (`check-algorithm.ts`), no `crit` and no `b64` other than `true`
 * (`check-critical-headers.ts`), three base64url parts with JSON-object header and
 * payload (`parse-compact-jws.ts`, `jws/compact-jws-parts.ts`).
 */
import type { AssertionKind } from '../assertion-kind';
import { reject } from '../assertion-kind';
import type { CompactJwsParts } from '../jws/compact-jws-parts';
import { verifyJwsSignature } from '../jws/verify-jws-signature';
import type { CandidateKey } from '../types';
import type { SelectedKeys } from './select-candidate-keys';

export function verifySignature(parts: CompactJwsParts, alg: string, selected: SelectedKeys, kind: AssertionKind): CandidateKey {
  for (const candidate of selected.keys) {
    if (verifyJwsSignature(parts, alg, candidate.key)) return candidate;
  }
  if (selected.unmatchedKid !== undefined) {
    throw reject(kind, 'unknown_kid', 'The assertion names a key ("kid") that is not registered', { kid: selected.unmatchedKid });
  }
  throw reject(kind, 'signature_invalid', 'The assertion signature is invalid');
}
