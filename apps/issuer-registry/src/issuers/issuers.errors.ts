/**
 * What the issuers service refuses, each with a stable code; the one filter (service-kit
 * `HttpErrorFilter`) answers `invalid` with 400 `invalid_request`, `not_found` with 404,
 * `conflict` with 409.
 */
import type { DomainErrorKind } from '@trust-broker/service-kit';
import { domainErrors } from '../registry-error';

const ISSUER_ERROR_KINDS = {
  issuer_already_registered: 'conflict',
  issuer_not_found: 'not_found',
  issuer_keys_not_found: 'not_found',
  key_source_missing: 'invalid',
  key_source_ambiguous: 'invalid',
  discovery_needs_http_issuer: 'invalid',
  cursor_invalid: 'invalid',
  expression_invalid: 'invalid',
} as const satisfies Record<string, DomainErrorKind>;

export type IssuerErrorCode = keyof typeof ISSUER_ERROR_KINDS;

export class IssuerError extends domainErrors(ISSUER_ERROR_KINDS) {}
