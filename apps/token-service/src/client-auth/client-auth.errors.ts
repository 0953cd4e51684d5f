/**
 * Client authentication failures (RFC 6749 §2.3 and §5.2, CONTRACT.md): a failed
 * authentication is 401 `invalid_client`, with `WWW-Authenticate: Basic` when the
 * client tried HTTP Basic (RFC 6749 §5.2); a malformed or ambiguous one is 400
 * `invalid_request`. Every `invalid_client` before the caller proved possession of its
 * credential (unknown, disabled or public client, another method, a wrong secret, an
 * assertion whose signature did not verify) answers the same text, so the answer does not
 * tell whether a client exists or how it authenticates; the audit reason stays precise.
 */
import { OAuthError } from '../oauth/oauth-error';
import type { OAuthReason, TokenServiceReason } from '../oauth/reasons';

export const BASIC_CHALLENGE = { 'WWW-Authenticate': 'Basic realm="trust-broker"' } as const;

/** The one `error_description` of every client authentication failure before proof of possession. */
export const CLIENT_AUTH_FAILED = 'client authentication failed';

export function clientAuthFailed(reason: OAuthReason, basicTried = false): OAuthError {
  return new OAuthError('invalid_client', CLIENT_AUTH_FAILED, reason, basicTried ? { ...BASIC_CHALLENGE } : {});
}

export function clientAuthMalformed(reason: TokenServiceReason, description: string): OAuthError {
  return new OAuthError('invalid_request', description, reason);
}
