/**
 * What the clients service refuses, each with a stable code; the one filter (service-kit
 * `HttpErrorFilter`) answers `invalid` with 400 `invalid_request`, `not_found` with 404,
 * `conflict` with 409.
 */
import { domainErrors } from '../registry-error';

export class ClientError extends domainErrors({
  invalid: [
    'method_has_no_secret', 'method_has_no_assertions', 'key_source_missing', 'key_source_ambiguous',
    'keys_need_private_key_jwt', 'signing_alg_mismatch', 'assertion_reuse_not_applicable', 'assertion_lifetime_too_long',
    'client_credentials_needs_authentication', 'secret_too_short', 'federated_credentials_missing', 'federated_credentials_not_applicable',
    'federated_issuer_unknown',
  ],
  not_found: ['client_not_found', 'client_keys_not_found'],
  conflict: ['client_already_registered', 'assertion_already_revoked'],
}) {}
