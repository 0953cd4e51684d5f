/**
 * Which job a JWT does, and so which OAuth error a failed rule answers: `invalid_grant`
 * for an authorization grant (RFC 7523 §3.1), `invalid_client` for client authentication
 * (RFC 7523 §3.2, a federated client assertion included), `invalid_dpop_proof` for a DPoP
 * proof (RFC 9449 §5), `invalid_request` for a token-exchange subject or actor token
 * (RFC 8693 §2.2.2).
 */
import { AssertionError, type ReasonCode } from './errors';

export type AssertionKind = 'grant' | 'client' | 'dpop' | 'subject_token';

const OAUTH_ERRORS = { grant: 'invalid_grant', client: 'invalid_client', dpop: 'invalid_dpop_proof', subject_token: 'invalid_request' } as const;

export function oauthErrorFor<Kind extends AssertionKind>(kind: Kind): (typeof OAUTH_ERRORS)[Kind] {
  return OAUTH_ERRORS[kind];
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
