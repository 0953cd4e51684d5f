/**
 * Enforces: `iss` is present and a non-empty string (RFC 7523 §3 rule 1, RFC 7519
 * §4.1.1); it is then matched exactly (no normalisation) against the registered party.
 */
import type { AssertionKind } from '../assertion-kind';
import { reject } from '../assertion-kind';

export function requireIssuer(claims: Record<string, unknown>, kind: AssertionKind): string {
  const iss = claims.iss;
  if (iss === undefined) throw reject(kind, 'issuer_missing', 'The assertion has no "iss" claim');
  if (typeof iss !== 'string' || iss.length === 0) throw reject(kind, 'claims_malformed', 'The "iss" claim must be a non-empty string');
  return iss;
}

/** The party the caller found must be registered under exactly this `iss` (defence against a loose lookup). */
export function checkIssuerMatches(iss: string, registered: string, kind: AssertionKind): void {
  if (iss !== registered) throw reject(kind, 'issuer_mismatch', 'The assertion issuer does not match the registered issuer');
}
