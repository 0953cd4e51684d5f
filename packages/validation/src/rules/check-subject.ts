/**
 * Enforces: `sub` is present and a non-empty string (RFC 7523 §3 rule 2, RFC 7519
 * §4.1.2), and for a grant that the trusted issuer may speak for it (the issuer's
 * `subjects` list; `['*']` accepts any). One exception, an issuer's choice: with
 * `subject_from_issuer`, a grant without `sub` stands for its `iss` (Google's
 * service-account assertions carry no `sub`, the account being the issuer); a `sub` that
 * is present is still checked as usual.
 */
import type { AssertionKind } from '../assertion-kind';
import { reject } from '../assertion-kind';

const ANY_SUBJECT = '*';

export function requireSubject(claims: Record<string, unknown>, kind: AssertionKind): string {
  const sub = claims.sub;
  if (sub === undefined || sub === '') throw reject(kind, 'subject_missing', 'The assertion has no "sub" claim');
  if (typeof sub !== 'string') throw reject(kind, 'claims_malformed', 'The "sub" claim must be a string');
  return sub;
}

/** A trusted issuer's token's subject: its `sub`, or its `iss` when `sub` is absent and the issuer says so. */
export function resolveIssuerTokenSubject(claims: Record<string, unknown>, issuer: string, subjectFromIssuer: boolean | undefined, kind: AssertionKind): string {
  if (claims.sub === undefined && subjectFromIssuer === true) return issuer;
  return requireSubject(claims, kind);
}

export function checkSubjectAllowed(sub: string, subjects: readonly string[], kind: AssertionKind): void {
  // A string would "include" any substring of itself: only a real list is a policy.
  if (!Array.isArray(subjects)) throw new TypeError('The issuer policy needs a subjects array');
  if (subjects.includes(ANY_SUBJECT) || subjects.includes(sub)) return;
  throw reject(kind, 'subject_not_allowed', 'This issuer may not assert this subject');
}
