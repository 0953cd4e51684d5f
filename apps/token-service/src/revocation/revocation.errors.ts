import { DependencyUnavailableError } from '../oauth/dependency-unavailable';

/** Neither Redis nor Postgres took or answered a revocation: the endpoint answers 503. */
export class RevocationStoreUnavailableError extends DependencyUnavailableError {
  readonly dependency = 'revocation_store';
  readonly code = 'revocation_store_unavailable';

  constructor(message: string, cause?: unknown) {
    super('revocation store', message, cause);
  }
}
