import { AssertionError } from '@trust-broker/validation';
import { DependencyUnavailableError } from './dependency-unavailable';
import { OAuthError } from './oauth-error';

/**
 * The rule engine's typed failure as the OAuth error the endpoint answers (code, safe
 * description, reason); a party lookup or replay check that failed for one of our
 * dependencies comes out as that dependency's error, which the OAuth pipeline answers 503.
 */
export function fromAssertionError(error: AssertionError, headers: Record<string, string> = {}): OAuthError | DependencyUnavailableError {
  if (error.cause instanceof DependencyUnavailableError) return error.cause;
  return new OAuthError(error.error, error.description, error.reason, headers);
}

export function isUnknownKid(error: unknown): error is AssertionError {
  return error instanceof AssertionError && error.reason === 'unknown_kid';
}
