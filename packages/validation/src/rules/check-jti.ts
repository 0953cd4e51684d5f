/**
 * Enforces: `jti` is present where the policy requires it, and whenever present is a
 * string of 1 to 256 characters (RFC 7523 §3 rule 7, RFC 7519 §4.1.7).
 */
import type { AssertionKind } from '../assertion-kind';
import { reject } from '../assertion-kind';
import { MAX_JTI_LENGTH } from '../limits';

export function checkJti(claims: Record<string, unknown>, required: boolean, kind: AssertionKind): string | undefined {
  const jti = claims.jti;
  if (jti === undefined) {
    if (required) throw reject(kind, 'jti_missing', 'The assertion has no "jti" claim');
    return undefined;
  }
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) {
    throw reject(kind, 'jti_invalid', `The "jti" claim must be a string of 1 to ${MAX_JTI_LENGTH} characters`);
  }
  return jti;
}
