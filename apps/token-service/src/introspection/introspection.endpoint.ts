/**
 * `POST /oauth2/introspect` (RFC 7662) on the OAuth pipeline, with the steps it shares with
 * revocation (token-management-endpoint.ts: a confidential caller, `token`, one of our access
 * or refresh tokens?) and its decision, introspect: meant for the caller? → not revoked? →
 * answer.
 * Enforces:
 * - `{"active": false}` and nothing else for any token that is not valid, unexpired and
 *   unrevoked (§2.2): the answer never says why;
 * - an active token's claims as RFC 7662 §2.2 names them, plus `token_type: Bearer`,
 *   `idp` and the claims mapped in by the issuer's `claim_mappings`;
 * - `token_type_hint` is ignored (§2.1 allows it): a token that is not one of our access
 *   tokens is looked up as a refresh token, active while unused, its family neither
 *   revoked nor expired, and its trust still as the refresh grant checks it at use
 *   (refresh-trust-recheck.ts: issuer active and unexpired, `sub` still accepted; §2.2:
 *   active means usable, so a token refused at use is `{"active": false}`), answered with `token_type: refresh_token`, `client_id`, `sub`,
 *   `exp` (the family's end), `scope`, and `cnf` when bound to a DPoP key (CONTRACT.md);
 *   only the client it was issued to learns about it;
 * - a client learns about a token only if it was issued to it (`client_id`) or its `aud`
 *   holds one of the client's `introspection_audiences` (default: its own `client_id`):
 *   any other token is `{"active": false}`, as if it did not exist (§4, CONTRACT.md
 *   "Introspection"), so no client reads the claims of tokens meant for others;
 * - the revocation store unreachable: 503, never an unchecked `active: true`.
 */
import { Inject, Injectable } from '@nestjs/common';
import { TOKEN_SERVICE_CONFIG, type TokenServiceConfig } from '../config/token-service.config';
import type { AuthenticatedClient } from '../client-auth/client-auth.types';
import type { EndpointStep } from '../oauth-pipeline/endpoint.types';
import type { PresentedRefreshToken } from '../refresh/refresh-token.store';
import { recheckRefreshTrust, type RefreshTrustFailure } from '../refresh/refresh-trust-recheck';
import { RevocationStore } from '../revocation/revocation-store.service';
import { TrustCache } from '../trust/trust-cache.service';
import type { AccessTokenClaims } from '../signing-keys/access-token.types';
import { decide, TokenManagementEndpoint, TokenManagementSteps, type TokenManagementContext } from '../token-management/token-management-endpoint';

/** RFC 7662 §2.2 for a refresh token. */
export interface RefreshTokenIntrospection {
  active: true;
  token_type: 'refresh_token';
  iss: string;
  client_id: string | null;
  sub: string;
  scope: string;
  iat: number;
  exp: number;
  idp: string;
  cnf?: { jkt: string };
}

export type IntrospectionResponse = { active: false } | ({ active: true; token_type: 'Bearer' } & AccessTokenClaims) | RefreshTokenIntrospection;

type IntrospectionContext = TokenManagementContext<IntrospectionResponse>;

@Injectable()
export class IntrospectionEndpoint extends TokenManagementEndpoint<IntrospectionResponse> {
  readonly type = 'introspection';

  constructor(shared: TokenManagementSteps, revocations: RevocationStore, trust: TrustCache, @Inject(TOKEN_SERVICE_CONFIG) config: Pick<TokenServiceConfig, 'brokerIssuer'>) {
    super(shared, introspect(revocations, trust, config.brokerIssuer));
  }
}

/** Inactive unless the token is ours and valid (an access token, or an unused refresh token of a live, still trusted family), meant for the caller, and not revoked. */
function introspect(revocations: RevocationStore, trust: TrustCache, brokerIssuer: string): EndpointStep<IntrospectionContext> {
  return async function introspect(context) {
    const { claims, refreshToken } = context;
    if (refreshToken) return introspectRefreshToken(context, refreshToken, trust, brokerIssuer);
    if (!claims) return inactive(context, 'token_invalid');
    if (!mayIntrospect(context.client!, claims)) return inactive(context, 'token_not_for_caller');
    if (await revocations.isRevoked(claims.jti, context.request)) return inactive(context, 'token_revoked');
    // `active` and `token_type` last: no claim may override them.
    decide(context, { ...claims, active: true, token_type: 'Bearer' }, 'active', { active: true, token_client_id: claims.client_id ?? null });
  };
}

/** Only the client a refresh token was issued to learns about it (CONTRACT.md); active only while the refresh grant would accept it. */
function introspectRefreshToken(context: IntrospectionContext, presented: PresentedRefreshToken, trust: TrustCache, brokerIssuer: string): void {
  const { family } = presented;
  if (family.clientId !== context.client!.clientId) return inactive(context, 'token_not_for_caller');
  if (presented.usedAt !== null || family.revokedAt !== null) return inactive(context, 'token_revoked');
  if (family.expiresAt.getTime() <= Date.now()) return inactive(context, 'token_expired');
  const trusted = recheckRefreshTrust(trust, family, context.client!.clientId);
  if (!trusted.ok) return inactive(context, trusted.reason);
  const answer: RefreshTokenIntrospection = {
    active: true,
    token_type: 'refresh_token',
    iss: brokerIssuer,
    client_id: family.clientId,
    sub: family.subject,
    scope: family.scopes.join(' '),
    iat: Math.floor(family.createdAt.getTime() / 1000),
    exp: Math.floor(family.expiresAt.getTime() / 1000),
    idp: family.issuer,
    ...(family.dpopJkt !== null && { cnf: { jkt: family.dpopJkt } }),
  };
  decide(context, answer, 'active', { active: true, token_type: 'refresh_token', refresh_family_id: family.id });
}

/** RFC 7662 §4, CONTRACT.md: the token was issued to the caller, or names one of its introspection audiences. */
function mayIntrospect(caller: AuthenticatedClient, claims: AccessTokenClaims): boolean {
  if (claims.client_id === caller.clientId) return true;
  const allowed = caller.client.introspection_audiences ?? [caller.clientId];
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  return audiences.some((audience) => typeof audience === 'string' && allowed.includes(audience));
}

function inactive(context: IntrospectionContext, reason: 'token_invalid' | 'token_revoked' | 'token_not_for_caller' | 'token_expired' | RefreshTrustFailure): void {
  decide(context, { active: false }, 'inactive', { active: false, inactive_reason: reason });
}
