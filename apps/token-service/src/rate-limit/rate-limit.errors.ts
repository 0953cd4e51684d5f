import { OAuthError } from '../oauth/oauth-error';

/**
 * 429 with `Retry-After` (RFC 6585 §4). RFC 6749 has no rate-limit code; its
 * `temporarily_unavailable` ("temporary overloading") is the closest a client knows.
 */
export class RateLimitedError extends OAuthError {
  constructor(scope: RateLimitScope, retryAfterS: number) {
    super('temporarily_unavailable', `too many token requests from this ${scope}; retry after ${retryAfterS} s`, 'rate_limited', { 'Retry-After': String(retryAfterS) }, 429);
  }
}

export type RateLimitScope = 'client' | 'address';
