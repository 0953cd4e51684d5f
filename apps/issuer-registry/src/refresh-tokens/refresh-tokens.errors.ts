/** What the refresh-token admin routes refuse, each with a stable code (service-kit's one filter answers the kinds). */
import { domainErrors } from '../registry-error';

export class RefreshTokensError extends domainErrors({
  not_found: ['client_not_found', 'issuer_not_found'],
  /** token-service has not migrated the schema whose functions the registry calls yet. */
  dependency_unavailable: ['token_schema_missing'],
}) {}
