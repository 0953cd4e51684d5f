/**
 * The OAuth URNs tests send, written out here rather than imported from the services, so
 * that a test checks the service against the RFCs' values, not against its own constants.
 */

/** RFC 7523 section 2.1: the `grant_type` of a JWT authorization grant. */
export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** RFC 8693 section 2.1: the `grant_type` of token exchange. */
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
/** RFC 7523 section 2.2: the `client_assertion_type` of JWT client authentication. */
export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** RFC 8693 section 3: the token type identifiers of `subject_token_type` and the others. */
export const TOKEN_TYPES = {
  jwt: 'urn:ietf:params:oauth:token-type:jwt',
  idToken: 'urn:ietf:params:oauth:token-type:id_token',
  accessToken: 'urn:ietf:params:oauth:token-type:access_token',
} as const;
