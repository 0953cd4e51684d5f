import { AssertionError } from '@trust-broker/validation';
import { OAuthError } from './oauth-error';

/** The rule engine's typed failure as the OAuth error the endpoint answers (code, safe description, reason). */
export function fromAssertionError(error: AssertionError, headers: Record<string, string> = {}): OAuthError {
  return new OAuthError(error.error, error.description, error.reason, headers);
}

export function isUnknownKid(error: unknown): error is AssertionError {
  return error instanceof AssertionError && error.reason === 'unknown_kid';
}
