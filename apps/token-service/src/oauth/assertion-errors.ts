import { AssertionError } from '@trust-broker/validation';
import { dependencyUnavailableAnswer, DependencyUnavailableError } from './dependency-unavailable';
import { OAuthError } from './oauth-error';

/**
 * The rule engine's typed failure as the OAuth error the endpoint answers (code, safe
 * description, reason); a party lookup that failed for one of our dependencies (stale
 * trust) is that dependency's 503, with its own reason.
 */
export function fromAssertionError(error: AssertionError, headers: Record<string, string> = {}): OAuthError {
  if (error.cause instanceof DependencyUnavailableError) return dependencyUnavailableAnswer(error.cause);
  return new OAuthError(error.error, error.description, error.reason, headers);
}

export function isUnknownKid(error: unknown): error is AssertionError {
  return error instanceof AssertionError && error.reason === 'unknown_kid';
}
