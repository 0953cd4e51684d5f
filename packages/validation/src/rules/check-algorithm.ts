/**
 * Enforces: `alg` is a non-empty string, never `none` in any spelling (RFC 8725 §3.1,
 * RFC 7523 §3 rule 9: the JWT MUST be digitally signed), and taken from the party's
 * allowlist within the family its authentication method permits: asymmetric for
 * trusted issuers and `private_key_jwt`, HMAC only for `client_secret_jwt`
 * (RFC 8725 §2.1/§3.1, OIDC Core §9).
 */
import type { AssertionKind } from '../assertion-kind';
import { reject } from '../assertion-kind';
import { isAsymmetricAlgorithm, isHmacAlgorithm } from '../algorithms';

export type AlgorithmFamily = 'asymmetric' | 'hmac';

const ALLOWED_FOR: Record<AssertionKind, string> = { grant: 'for this issuer', client: 'for this client', dpop: 'for DPoP proofs', subject_token: 'for this issuer' };

export function checkAlgorithmPresent(header: Record<string, unknown>, kind: AssertionKind): string {
  const alg = header.alg;
  if (typeof alg !== 'string' || alg.length === 0) throw reject(kind, 'header_invalid', 'The assertion header has no "alg"');
  if (alg.toLowerCase() === 'none') throw reject(kind, 'alg_none', 'Unsigned assertions (alg "none") are not accepted');
  return alg;
}

export function checkAlgorithmAllowed(alg: string, allowed: readonly string[], family: AlgorithmFamily, kind: AssertionKind): void {
  // A string would "include" any substring of itself: only a real list is an allowlist.
  if (!Array.isArray(allowed)) throw new TypeError('The party policy needs an allowedAlgorithms array');
  const inFamily = family === 'hmac' ? isHmacAlgorithm(alg) : isAsymmetricAlgorithm(alg);
  if (!inFamily || !allowed.includes(alg)) {
    throw reject(kind, 'alg_not_allowed', `The algorithm "${printable(alg)}" is not allowed ${ALLOWED_FOR[kind]}`);
  }
}

/** The description is shown to the client: keep an attacker's header short and plain. */
function printable(value: string): string {
  return value.replace(/[^\x20-\x7e]/g, '?').slice(0, 32);
}
