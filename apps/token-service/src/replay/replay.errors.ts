import { DependencyUnavailableError } from '../oauth/dependency-unavailable';

/** Redis did not answer the replay check: no token may be issued (503). */
export class ReplayStoreUnavailableError extends DependencyUnavailableError {
  readonly dependency = 'replay_store';
  readonly code = 'replay_store_unavailable';

  constructor(message: string, cause?: unknown) {
    super('replay store', message, cause);
  }
}
