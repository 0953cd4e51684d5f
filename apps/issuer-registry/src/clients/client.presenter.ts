/** A client as the admin API shows it: never its secret (only the 201 and a rotation carry that, once). */
import type { AssertionRevocationRow, ClientResource, ClientRow } from '@trust-broker/contracts';
import { toIso } from '../party-keys/key-status.presenter';

/** `POST /v1/clients` and a PATCH that moved the client to a secret method: the new secret, once. */
export type ClientWithSecret = ClientResource & { client_secret?: string };

/** `POST /v1/clients/{client_id}/assertion-revocations`: the revocation as stored, its time as RFC 3339 text. */
export type RevocationResource = Omit<AssertionRevocationRow, 'created_at'> & { created_at: string };

export function presentClient(row: ClientRow): ClientResource {
  return {
    client_id: row.client_id,
    client_name: row.client_name,
    token_endpoint_auth_method: row.token_endpoint_auth_method,
    jwks: row.jwks,
    jwks_uri: row.jwks_uri,
    token_endpoint_auth_signing_alg: row.token_endpoint_auth_signing_alg,
    grant_types: row.grant_types,
    scope: row.scope,
    client_assertion_reuse: row.client_assertion_reuse,
    client_assertion_max_lifetime_s: row.client_assertion_max_lifetime_s,
    access_token_ttl_s: row.access_token_ttl_s,
    introspection_audiences: row.introspection_audiences ?? [row.client_id],
    federated_credentials: row.federated_credentials,
    status: row.status,
    version: row.version,
    created_at: toIso(row.created_at),
    updated_at: toIso(row.updated_at),
  };
}

export function presentRevocation(row: AssertionRevocationRow): RevocationResource {
  return { id: row.id, client_id: row.client_id, jti: row.jti, kid: row.kid, created_at: toIso(row.created_at) };
}
