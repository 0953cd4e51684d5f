/**
 * What the issuers service refuses, each with a stable code; the one filter (service-kit
 * `HttpErrorFilter`) answers `invalid` with 400 `invalid_request`, `not_found` with 404,
 * `conflict` with 409.
 */
import { domainErrors } from '../registry-error';

export class IssuerError extends domainErrors({
  invalid: ['key_source_missing', 'key_source_ambiguous', 'discovery_needs_http_issuer', 'cursor_invalid', 'expression_invalid'],
  not_found: ['issuer_not_found', 'issuer_keys_not_found'],
  conflict: ['issuer_already_registered'],
}) {}
