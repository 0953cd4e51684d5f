/**
 * An issuer's policy defaults as CONTRACT.md lists them ("Issuers"), written out once for
 * the tests: the registry's tests check its answers against them, and the console's fake
 * admin API answers with them. Its own entry point: the console's browser tests load it
 * without the Postgres and Redis helpers.
 */
export const CONTRACT_ISSUER_DEFAULTS = {
  status: 'active',
  expires_at: null,
  discovery: false,
  allowed_algorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'],
  condition: null,
  claim_mappings: null,
  allowed_scopes: [],
  audiences: [],
  max_assertion_lifetime_s: 300,
  clock_skew_s: 30,
  require_jti: true,
  require_client_auth: false,
  allowed_client_ids: [],
  access_token_ttl_s: 600,
  subject_from_issuer: false,
  refresh_tokens: false,
  refresh_token_ttl_s: 86400,
};
