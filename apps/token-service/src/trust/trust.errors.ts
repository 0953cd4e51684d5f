import { DependencyUnavailableError } from '../oauth/dependency-unavailable';

/**
 * The trust cache was not reloaded from the registry for longer than TRUST_MAX_STALE_S
 * (Postgres unreachable): a disable, a removed key or a revocation made meanwhile could be
 * missing, so nothing is decided on it (503) until a reload succeeds.
 */
export class TrustStaleError extends DependencyUnavailableError {
  readonly dependency = 'trust_registry';

  constructor(staleForMs: number) {
    super('trust registry', `trust data not reloaded for ${Math.round(staleForMs / 1000)} s (TRUST_MAX_STALE_S)`, undefined);
  }
}
