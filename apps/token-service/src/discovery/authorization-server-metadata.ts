/**
 * The broker's RFC 8414 metadata, built once from the configuration: every endpoint,
 * grant type, client authentication method and algorithm actually supported.
 * No authorization endpoint, so `response_types_supported` is empty (RFC 8414 §2).
 */
import { DPOP_SIGNING_ALGORITHMS, SUPPORTED_ALGORITHMS } from '@trust-broker/validation';
import { SUPPORTED_CLIENT_AUTH_METHODS } from '../client-auth/client-auth-methods';
import { SUPPORTED_GRANT_TYPES } from '../grants/grant-table';

/** Introspection and revocation need a confidential client: `none` is not accepted there. */
export const CONFIDENTIAL_AUTH_METHODS = SUPPORTED_CLIENT_AUTH_METHODS.filter((method) => method !== 'none');

export interface AuthorizationServerMetadata {
  issuer: string;
  token_endpoint: string;
  jwks_uri: string;
  introspection_endpoint: string;
  revocation_endpoint: string;
  grant_types_supported: string[];
  response_types_supported: string[];
  token_endpoint_auth_methods_supported: string[];
  token_endpoint_auth_signing_alg_values_supported: string[];
  introspection_endpoint_auth_methods_supported: string[];
  introspection_endpoint_auth_signing_alg_values_supported: string[];
  revocation_endpoint_auth_methods_supported: string[];
  revocation_endpoint_auth_signing_alg_values_supported: string[];
  /** Not in RFC 8414's list, but widely read: the algorithms of our access tokens. */
  access_token_signing_alg_values_supported: string[];
  /** RFC 9449 §5.1: the algorithms accepted for DPoP proofs. */
  dpop_signing_alg_values_supported: string[];
}

export function buildAuthorizationServerMetadata(issuer: string, accessTokenAlgorithms: readonly string[]): AuthorizationServerMetadata {
  // Client assertions: any asymmetric algorithm (private_key_jwt) or HMAC (client_secret_jwt).
  const assertionAlgorithms = [...SUPPORTED_ALGORITHMS.asymmetric, ...SUPPORTED_ALGORITHMS.hmac];
  return {
    issuer,
    token_endpoint: `${issuer}/oauth2/token`,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    introspection_endpoint: `${issuer}/oauth2/introspect`,
    revocation_endpoint: `${issuer}/oauth2/revoke`,
    grant_types_supported: [...SUPPORTED_GRANT_TYPES],
    response_types_supported: [],
    token_endpoint_auth_methods_supported: [...SUPPORTED_CLIENT_AUTH_METHODS],
    token_endpoint_auth_signing_alg_values_supported: assertionAlgorithms,
    introspection_endpoint_auth_methods_supported: [...CONFIDENTIAL_AUTH_METHODS],
    introspection_endpoint_auth_signing_alg_values_supported: assertionAlgorithms,
    revocation_endpoint_auth_methods_supported: [...CONFIDENTIAL_AUTH_METHODS],
    revocation_endpoint_auth_signing_alg_values_supported: assertionAlgorithms,
    access_token_signing_alg_values_supported: [...accessTokenAlgorithms],
    dpop_signing_alg_values_supported: [...DPOP_SIGNING_ALGORITHMS],
  };
}
