/**
 * CONTRACT.md "Refresh tokens and DPoP": a grant or a token exchange of a trusted issuer
 * with `refresh_tokens` also returns a refresh token, a new family, only to a client that
 * authenticated with a confidential method or a request that carried a DPoP proof (the
 * family is then bound to its key). The family keeps what the access token was made of,
 * so a refresh gives the same contents, and lives `refresh_token_ttl_s` from now.
 */
import type { RefreshTokenStore } from '../refresh/refresh-token.store';
import type { CachedIssuer } from '../trust/trust.types';
import type { GrantDecision, GrantRequest } from './grant.types';

export function mayHoldRefreshToken(issuer: CachedIssuer, request: GrantRequest): boolean {
  if (!issuer.row.refresh_tokens) return false;
  const confidential = request.client !== undefined && request.client.method !== 'none';
  return confidential || request.dpopJkt !== undefined;
}

/** Adds a refresh token to `decision` where the issuer and the request allow one. */
export async function withRefreshToken(
  store: RefreshTokenStore,
  issuer: CachedIssuer,
  request: GrantRequest,
  decision: GrantDecision,
  facts: { assertionSubject: string; grantType: string },
): Promise<GrantDecision> {
  if (!mayHoldRefreshToken(issuer, request)) return decision;
  const started = await store.startFamily({
    clientId: request.client?.clientId ?? null,
    issuerId: issuer.row.id,
    issuer: issuer.row.issuer,
    assertionSubject: facts.assertionSubject,
    subject: decision.subject,
    scopes: decision.scopes,
    audience: decision.audience,
    mappedClaims: decision.mappedClaims,
    dpopJkt: request.dpopJkt ?? null,
    grantType: facts.grantType,
    lifetimeSeconds: issuer.row.refresh_token_ttl_s,
  });
  request.audit.refreshFamilyId = started.familyId;
  return { ...decision, refreshToken: started.refreshToken };
}
