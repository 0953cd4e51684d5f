/**
 * A dependency that did not answer (the audit queue, the replay store, the revocation
 * store): nothing is issued or answered unchecked or unaudited, so every endpoint answers
 * 503 `temporarily_unavailable` with `Retry-After`. This file is the one mapping from such a
 * failure to that answer; a new dependency is a new `UnavailableDependency`, and the
 * switch below does not compile until it has its reason.
 */
import { OAuthError } from './oauth-error';
import type { TokenServiceReason } from './reasons';

export type UnavailableDependency = 'audit_queue' | 'replay_store' | 'revocation_store' | 'trust_registry' | 'refresh_token_store';

export abstract class DependencyUnavailableError extends Error {
  abstract readonly dependency: UnavailableDependency;

  /** `what`: the dependency as a log reads it ("audit queue"); `message`: why, for the log only. */
  protected constructor(what: string, message: string, cause: unknown) {
    super(`${what} unavailable: ${message}`, cause === undefined ? undefined : { cause });
    this.name = new.target.name;
  }
}

/** The reason recorded (audit event, metrics) for each dependency. */
export function reasonOf(dependency: UnavailableDependency): TokenServiceReason {
  switch (dependency) {
    case 'audit_queue':
      return 'audit_unavailable';
    case 'replay_store':
      return 'replay_store_unavailable';
    case 'revocation_store':
      return 'revocation_store_unavailable';
    case 'trust_registry':
      return 'trust_stale';
    case 'refresh_token_store':
      return 'refresh_token_store_unavailable';
    default:
      return assertNever(dependency);
  }
}

/** The 503 every endpoint answers for a dependency that did not answer. */
export function dependencyUnavailableAnswer(error: DependencyUnavailableError): OAuthError {
  return new OAuthError('temporarily_unavailable', 'the service is temporarily unavailable; try again later', reasonOf(error.dependency), { 'Retry-After': '1' });
}

function assertNever(value: never): never {
  throw new Error(`unhandled dependency: ${String(value)}`);
}
