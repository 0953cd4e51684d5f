/**
 * Enforces: `typ`, when present, is a string and not `at+jwt` (RFC 9068 §2.1, RFC 8725
 * §3.11 explicit typing): an access token, this broker's own included, must never pass
 * as an assertion.
 */
import type { AssertionKind } from '../assertion-kind';
import { reject } from '../assertion-kind';

const REFUSED_TYPES = new Set(['at+jwt', 'application/at+jwt']);

export function checkTokenType(header: Record<string, unknown>, kind: AssertionKind): void {
  const typ = header.typ;
  if (typ === undefined) return;
  if (typeof typ !== 'string') throw reject(kind, 'header_invalid', 'The "typ" header must be a string');
  if (REFUSED_TYPES.has(typ.toLowerCase())) throw reject(kind, 'typ_not_allowed', 'An access token (typ "at+jwt") is not an assertion');
}
