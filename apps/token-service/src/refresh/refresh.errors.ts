import { DependencyUnavailableError } from '../oauth/dependency-unavailable';

/** Postgres did not take or answer a refresh-token read or rotation: the endpoint answers 503. */
export class RefreshTokenStoreUnavailableError extends DependencyUnavailableError {
  readonly dependency = 'refresh_token_store';
  readonly code = 'refresh_token_store_unavailable';

  constructor(message: string, cause?: unknown) {
    super('refresh-token store', message, cause);
  }
}
