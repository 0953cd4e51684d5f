/**
 * What the clients service refuses, each with a stable code; the one filter (service-kit
 * `HttpErrorFilter`) answers `invalid` with 400 `invalid_request`, `not_found` with 404,
 * `conflict` with 409.
 */
import type { DomainErrorKind } from '@trust-broker/service-kit';
import { domainErrors } from '../registry-error';

const CLIENT_ERROR_KINDS = {
  client_already_registered: 'conflict',
  client_not_found: 'not_found',
  client_keys_not_found: 'not_found',
  assertion_already_revoked: 'conflict',
  method_has_no_secret: 'invalid',
  method_has_no_assertions: 'invalid',
  key_source_missing: 'invalid',
  key_source_ambiguous: 'invalid',
  keys_need_private_key_jwt: 'invalid',
  signing_alg_mismatch: 'invalid',
  assertion_reuse_not_applicable: 'invalid',
  assertion_lifetime_too_long: 'invalid',
  client_credentials_needs_authentication: 'invalid',
  secret_too_short: 'invalid',
  federated_credentials_missing: 'invalid',
  federated_credentials_not_applicable: 'invalid',
  federated_issuer_unknown: 'invalid',
} as const satisfies Record<string, DomainErrorKind>;

export type ClientErrorCode = keyof typeof CLIENT_ERROR_KINDS;

export class ClientError extends domainErrors(CLIENT_ERROR_KINDS) {}
