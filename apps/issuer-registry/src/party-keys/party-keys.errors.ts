/**
 * What the key rules shared by issuers and clients refuse (an inline key set, a URL keys
 * are fetched from), each with a stable code; the one filter (service-kit
 * `HttpErrorFilter`) answers them 400 `invalid_request`.
 */
import { domainErrors } from '../registry-error';

export class PartyKeysError extends domainErrors({
  invalid: ['jwks_invalid', 'outbound_url_not_https', 'outbound_url_has_credentials', 'outbound_url_has_fragment'],
}) {}
