/** A trusted issuer as the admin API shows it: every field present, null when unset, RFC 3339 times. */
import type { IssuerResource, IssuerRow } from '@trust-broker/contracts';
import { toIso } from '../party-keys/key-status.presenter';

/** `brokerIssuer`: `BROKER_ISSUER`, which `accepted_audiences` stands for while the issuer has none of its own (NULL). */
export function presentIssuer(row: IssuerRow, brokerIssuer: string): IssuerResource {
  return {
    id: row.id,
    issuer: row.issuer,
    display_name: row.display_name,
    status: row.status,
    expires_at: toIso(row.expires_at),
    jwks: row.jwks,
    jwks_uri: row.jwks_uri,
    discovery: row.discovery,
    allowed_algorithms: row.allowed_algorithms,
    subjects: row.subjects,
    condition: row.condition,
    claim_mappings: row.claim_mappings,
    allowed_scopes: row.allowed_scopes,
    audiences: row.audiences,
    max_assertion_lifetime_s: row.max_assertion_lifetime_s,
    clock_skew_s: row.clock_skew_s,
    require_jti: row.require_jti,
    subject_from_issuer: row.subject_from_issuer,
    require_client_auth: row.require_client_auth,
    allowed_client_ids: row.allowed_client_ids,
    access_token_ttl_s: row.access_token_ttl_s,
    refresh_tokens: row.refresh_tokens,
    refresh_token_ttl_s: row.refresh_token_ttl_s,
    accepted_audiences: row.accepted_audiences ?? [brokerIssuer],
    version: row.version,
    created_at: toIso(row.created_at),
    updated_at: toIso(row.updated_at),
  };
}
