/**
 * What the key rules shared by issuers and clients refuse (an inline key set, a URL keys
 * are fetched from), each with a stable code; the one filter (service-kit
 * `HttpErrorFilter`) answers them 400 `invalid_request`.
 */
import type { DomainErrorKind } from '@trust-broker/service-kit';
import { domainErrors } from '../registry-error';

const PARTY_KEYS_ERROR_KINDS = {
  jwks_invalid: 'invalid',
  outbound_url_not_https: 'invalid',
  outbound_url_has_credentials: 'invalid',
  outbound_url_has_fragment: 'invalid',
} as const satisfies Record<string, DomainErrorKind>;

export type PartyKeysErrorCode = keyof typeof PARTY_KEYS_ERROR_KINDS;

export class PartyKeysError extends domainErrors(PARTY_KEYS_ERROR_KINDS) {}
