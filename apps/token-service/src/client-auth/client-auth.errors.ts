/**
 * Client authentication failures (RFC 6749 §2.3 and §5.2, CONTRACT.md): a failed
 * authentication is 401 `invalid_client`, with `WWW-Authenticate: Basic` when the
 * client tried HTTP Basic (RFC 6749 §5.2); a malformed or ambiguous one is 400
 * `invalid_request`.
 */
import { OAuthError } from '../oauth/oauth-error';
import type { TokenServiceReason } from '../oauth/reasons';

export const BASIC_CHALLENGE = { 'WWW-Authenticate': 'Basic realm="trust-broker"' } as const;

export function clientAuthFailed(reason: TokenServiceReason, description = 'client authentication failed', basicTried = false): OAuthError {
  return new OAuthError('invalid_client', description, reason, basicTried ? { ...BASIC_CHALLENGE } : {});
}

export function clientAuthMalformed(reason: TokenServiceReason, description: string): OAuthError {
  return new OAuthError('invalid_request', description, reason);
}
