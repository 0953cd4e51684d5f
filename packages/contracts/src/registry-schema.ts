/**
 * The registry schema's tables as token-service reads them (read-only). issuer-registry
 * owns these tables and their migrations; this file is the contract between the two:
 * a column renamed there must be renamed here in the same change.
 */
export const REGISTRY_TABLES = {
  schema: 'registry',
  issuers: 'registry.issuers',
  clients: 'registry.clients',
  partyKeys: 'registry.party_keys',
  assertionRevocations: 'registry.assertion_revocations',
  outbox: 'registry.outbox',
} as const;

/** `registry.issuers`: one trusted issuer (CONTRACT.md, "Trusted issuers"). */
export interface IssuerRow {
  id: string; // uuid
  issuer: string; // unique, the exact `iss`
  display_name: string;
  status: 'active' | 'disabled';
  expires_at: Date | null;
  jwks: { keys: Record<string, unknown>[] } | null; // inline keys
  jwks_uri: string | null;
  discovery: boolean;
  allowed_algorithms: string[];
  subjects: string[];
  condition: string | null;
  claim_mappings: Record<string, string> | null;
  allowed_scopes: string[];
  audiences: string[];
  max_assertion_lifetime_s: number;
  clock_skew_s: number;
  require_jti: boolean;
  subject_from_issuer: boolean; // an assertion without `sub` stands for its `iss`
  require_client_auth: boolean;
  allowed_client_ids: string[];
  access_token_ttl_s: number;
  refresh_tokens: boolean; // its grants and exchanges may also return refresh tokens
  refresh_token_ttl_s: number; // longest life of a refresh-token family, from the first grant
  /**
   * `aud` values accepted on its tokens used as token-exchange subject or actor tokens and
   * as federated client assertions; NULL means `[BROKER_ISSUER]` (each process's own).
   */
  accepted_audiences: string[] | null;
  version: number; // incremented on every change
  created_at: Date;
  updated_at: Date;
}

/** One credential of a `federated_jwt` client: the exact `iss` (a registered trusted issuer) and `sub` of its assertions. */
export interface FederatedCredential {
  issuer: string;
  subject: string;
}

/** `registry.clients`: one OAuth client (CONTRACT.md, "Clients"). */
export interface ClientRow {
  client_id: string; // primary key
  client_name: string | null;
  token_endpoint_auth_method:
    | 'private_key_jwt'
    | 'client_secret_jwt'
    | 'client_secret_basic'
    | 'client_secret_post'
    | 'federated_jwt'
    | 'none';
  jwks: { keys: Record<string, unknown>[] } | null;
  jwks_uri: string | null;
  token_endpoint_auth_signing_alg: string | null;
  grant_types: string[];
  scope: string; // space-separated
  client_assertion_reuse: boolean;
  client_assertion_max_lifetime_s: number;
  access_token_ttl_s: number; // lifetime of client_credentials tokens, default 600
  /** `aud` values of tokens it may introspect (RFC 7662 §4); NULL (older rows) means `[client_id]`. */
  introspection_audiences: string[] | null;
  /** `federated_jwt` only: 1 to 20 credentials; NULL for every other method. */
  federated_credentials: FederatedCredential[] | null;
  status: 'active' | 'disabled';
  /** The client secret encrypted with `@trust-broker/secrets` (AAD `client_secret:<client_id>`). */
  secret_ciphertext: string | null;
  version: number;
  created_at: Date;
  updated_at: Date;
}

/**
 * `registry.party_keys`: the public keys currently held for an issuer or client, whatever
 * their source. Primary key (party_type, party_id). For inline keys `source` is `inline`.
 */
export interface PartyKeysRow {
  party_type: 'issuer' | 'client';
  party_id: string; // issuer uuid or client_id
  keys: { keys: Record<string, unknown>[] }; // public JWKS, validated
  source: 'inline' | 'jwks_uri' | 'discovery';
  jwks_uri: string | null; // where fetched from (resolved, for discovery)
  fetched_at: Date | null;
  etag: string | null;
  next_refresh_at: Date | null;
  last_error: string | null;
  last_error_at: Date | null;
  version: number;
}

/** `registry.assertion_revocations`: client assertions refused from now on, by `jti` or by `kid`. */
export interface AssertionRevocationRow {
  id: string; // uuid
  client_id: string;
  jti: string | null;
  kid: string | null;
  created_at: Date;
}
