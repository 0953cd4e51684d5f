/**
 * `POST /oauth2/introspect` (RFC 7662) on the shared TokenManagementPipeline (form body →
 * confidential client authenticated → `token` required → the decision here → audit event):
 * our own valid token (signature with our keys, `iss`, `typ: at+jwt`, not expired)? → not
 * revoked? → answer. Enforces:
 * - `{"active": false}` and nothing else for any token that is not valid, unexpired and
 *   unrevoked (§2.2): the answer never says why;
 * - an active token's claims as RFC 7662 §2.2 names them, plus `token_type: Bearer`,
 *   `idp` and the claims mapped in by the issuer's `claim_mappings`;
 * - `token_type_hint` is ignored (§2.1 allows it): a token that is not one of our access
 *   tokens is looked up as a refresh token, active while unused, its family neither
 *   revoked nor expired, answered with `token_type: refresh_token`, `client_id`, `sub`,
 *   `exp` (the family's end), `scope`, and `cnf` when bound to a DPoP key (CONTRACT.md);
 *   only the client it was issued to learns about it;
 * - a client learns about a token only if it was issued to it (`client_id`) or its `aud`
 *   holds one of the client's `introspection_audiences` (default: its own `client_id`):
 *   any other token is `{"active": false}`, as if it did not exist (§4, CONTRACT.md
 *   "Introspection"), so no client reads the claims of tokens meant for others;
 * - the revocation store unreachable: 503, never an unchecked `active: true`;
 * - a client assertion's `jti` is given back when the answer is not 200 (a retry can use it).
 */
import { Inject, Injectable } from '@nestjs/common';
import { TOKEN_SERVICE_CONFIG, type TokenServiceConfig } from '../config/token-service.config';
import type { AuthenticatedClient } from '../client-auth/client-auth.types';
import { RefreshTokenStore } from '../refresh/refresh-token.store';
import { RevocationStore } from '../revocation/revocation-store.service';
import { TokenManagementPipeline, type TokenManagementContext, type TokenManagementDecision } from '../token-management/token-management-pipeline';
import type { OAuthHttpRequest } from '../token-management/token-management-request';
import { AccessTokenSigner } from '../signing-keys/access-token-signer.service';
import type { AccessTokenClaims } from '../signing-keys/access-token.types';

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

@Injectable()
export class IntrospectionService {
  constructor(
    private readonly pipeline: TokenManagementPipeline,
    private readonly signer: AccessTokenSigner,
    private readonly revocations: RevocationStore,
    private readonly refreshTokens: RefreshTokenStore,
    @Inject(TOKEN_SERVICE_CONFIG) private readonly config: Pick<TokenServiceConfig, 'brokerIssuer'>,
  ) {}

  handle(request: OAuthHttpRequest): Promise<IntrospectionResponse> {
    return this.pipeline.handle('introspection', request, (token, client, context) => this.introspect(token, client, context));
  }

  private async introspect(token: string, caller: AuthenticatedClient, context: TokenManagementContext): Promise<TokenManagementDecision<IntrospectionResponse>> {
    const claims = await this.signer.verify(token);
    if (!claims) return this.introspectRefreshToken(token, caller, context);
    context.claims = claims;
    if (!mayIntrospect(caller, claims)) return inactive('token_not_for_caller');
    if (await this.revocations.isRevoked(claims.jti)) return inactive('token_revoked');
    return {
      // `active` and `token_type` last: no claim may override them.
      answer: { ...claims, active: true, token_type: 'Bearer' },
      result: 'active',
      audit: { outcome: 'success', details: { active: true, token_client_id: claims.client_id ?? null } },
    };
  }

  private async introspectRefreshToken(token: string, caller: AuthenticatedClient, context: TokenManagementContext): Promise<TokenManagementDecision<IntrospectionResponse>> {
    const presented = await this.refreshTokens.find(token);
    if (!presented) return inactive('token_invalid');
    const { family } = presented;
    context.refreshFamily = family;
    if (family.clientId !== caller.clientId) return inactive('token_not_for_caller');
    if (presented.usedAt !== null || family.revokedAt !== null) return inactive('token_revoked');
    if (family.expiresAt.getTime() <= Date.now()) return inactive('token_expired');
    return {
      answer: {
        active: true,
        token_type: 'refresh_token',
        iss: this.config.brokerIssuer,
        client_id: family.clientId,
        sub: family.subject,
        scope: family.scopes.join(' '),
        iat: Math.floor(family.createdAt.getTime() / 1000),
        exp: Math.floor(family.expiresAt.getTime() / 1000),
        idp: family.issuer,
        ...(family.dpopJkt !== null && { cnf: { jkt: family.dpopJkt } }),
      },
      result: 'active',
      audit: { outcome: 'success', details: { active: true, token_type: 'refresh_token', refresh_family_id: family.id } },
    };
  }
}

/** RFC 7662 §4, CONTRACT.md: the token was issued to the caller, or names one of its introspection audiences. */
function mayIntrospect(caller: AuthenticatedClient, claims: AccessTokenClaims): boolean {
  if (claims.client_id === caller.clientId) return true;
  const allowed = caller.client.introspection_audiences ?? [caller.clientId];
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  return audiences.some((audience) => typeof audience === 'string' && allowed.includes(audience));
}

function inactive(reason: 'token_invalid' | 'token_revoked' | 'token_not_for_caller' | 'token_expired'): TokenManagementDecision<IntrospectionResponse> {
  return { answer: { active: false }, result: 'inactive', audit: { outcome: 'success', details: { active: false, inactive_reason: reason } } };
}
