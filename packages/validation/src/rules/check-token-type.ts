/**
 * Enforces explicit typing (RFC 8725 §3.11, §2.8 cross-JWT confusion): `typ`, when present,
 * is a string, and it does not declare the JWT to be something other than an assertion
 * of this kind. Compared case-insensitively, with or without the `application/` prefix
 * (RFC 7515 §4.1.9).
 * - Refused for both kinds: access tokens (`at+jwt`, RFC 9068 §2.1, this broker's own
 *   included) and the other JWT types OAuth defines for a different purpose: DPoP proofs
 *   (RFC 9449), request objects (RFC 9101), introspection responses (RFC 9701), security
 *   event and logout tokens (RFC 8417, OIDC Back-Channel Logout), client attestations and
 *   their proofs (attestation-based client authentication), SD-JWT key binding (RFC 9901).
 * - Refused for grants only: `client-authentication+jwt` (rfc7523bis §4), a JWT made to
 *   authenticate a client, which must not pass as an authorization grant. It is welcome as a
 *   client assertion, as are no `typ` and `JWT`.
 * Any other value (`JWT`, `JOSE`, a profile's own type) is left to the other rules.
 */
import type { AssertionKind } from '../assertion-kind';
import { reject } from '../assertion-kind';

/** JWT types made for another purpose than any assertion, with what each one is. */
const OTHER_PURPOSE_TYPES: ReadonlyMap<string, string> = new Map([
  ['at+jwt', 'an access token'],
  ['dpop+jwt', 'a DPoP proof'],
  ['oauth-authz-req+jwt', 'a request object'],
  ['token-introspection+jwt', 'an introspection response'],
  ['secevent+jwt', 'a security event token'],
  ['logout+jwt', 'a logout token'],
  ['client-attestation+jwt', 'a client attestation'],
  ['client-attestation-pop+jwt', 'a client attestation proof'],
  ['kb+jwt', 'a key binding JWT'],
]);

/** The rfc7523bis type of a client authentication JWT. */
const CLIENT_AUTHENTICATION_TYPE = 'client-authentication+jwt';

const MEDIA_TYPE_PREFIX = 'application/';

/** `typ` as compared: lower case, without the optional `application/` prefix. */
export function normalizedType(typ: string): string {
  const lower = typ.toLowerCase();
  return lower.startsWith(MEDIA_TYPE_PREFIX) ? lower.slice(MEDIA_TYPE_PREFIX.length) : lower;
}

export function checkTokenType(header: Record<string, unknown>, kind: AssertionKind): void {
  const typ = header.typ;
  if (typ === undefined) return;
  if (typeof typ !== 'string') throw reject(kind, 'header_invalid', 'The "typ" header must be a string');
  const type = normalizedType(typ);
  const purpose = OTHER_PURPOSE_TYPES.get(type);
  if (purpose !== undefined) throw reject(kind, 'typ_not_allowed', `The "typ" header says this is ${purpose} (${type}), not an assertion`);
  if (kind === 'grant' && type === CLIENT_AUTHENTICATION_TYPE) {
    throw reject(kind, 'typ_not_allowed', `The "typ" header says this is a client authentication JWT (${type}), not an authorization grant`);
  }
}
