/**
 * Which RFC 7523 job an assertion does, and so which OAuth error a failed rule answers:
 * `invalid_grant` for an authorization grant (RFC 7523 §3.1), `invalid_client` for
 * client authentication (RFC 7523 §3.2).
 */
import { AssertionError, type ReasonCode } from './errors';

export type AssertionKind = 'grant' | 'client';

export function oauthErrorFor(kind: AssertionKind): 'invalid_grant' | 'invalid_client' {
  return kind === 'grant' ? 'invalid_grant' : 'invalid_client';
}

/** A failed rule: the kind's OAuth error, a description safe to show, and the reason for the audit log. */
export function reject(kind: AssertionKind, reason: ReasonCode, description: string, options: { kid?: string; cause?: unknown } = {}): AssertionError {
  return new AssertionError(oauthErrorFor(kind), reason, description, options);
}

/**
 * Whatever escaped a rule (a jose error, a bug, a callback that threw) leaves the
 * engine as an AssertionError, fail closed, with the original kept as `cause` for logs.
 */
export function toAssertionError(kind: AssertionKind, thrown: unknown): AssertionError {
  if (thrown instanceof AssertionError) return thrown;
  return reject(kind, 'verification_failed', 'The assertion could not be verified', { cause: thrown });
}
