/**
 * The OAuth URNs the broker, its CLI and its tests send and accept, defined once.
 * Specs compare them with the RFCs' literal text, so a typo here cannot hide behind
 * code and tests that share it.
 */

/** RFC 7523 §2.1: the `grant_type` of a JWT authorization grant. */
export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** RFC 8693 §2.1: the `grant_type` of token exchange. */
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
/** RFC 7523 §2.2: the `client_assertion_type` of JWT client authentication. */
export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** RFC 8693 §3: the token type identifiers of `subject_token_type`, `actor_token_type` and the others. */
export const TOKEN_TYPES = {
  jwt: 'urn:ietf:params:oauth:token-type:jwt',
  idToken: 'urn:ietf:params:oauth:token-type:id_token',
  accessToken: 'urn:ietf:params:oauth:token-type:access_token',
} as const;
