/**
 * `POST /oauth2/revoke` (RFC 7009) on the OAuth pipeline, with the steps it shares with
 * introspection (token-management-endpoint.ts: a confidential caller, `token`, our own valid
 * token? else one of our refresh tokens?) and its decision, revoke: issued to this client?
 * → `jti` marked revoked, or a refresh token's whole family ended (CONTRACT.md). Enforces:
 * - 200 with an empty body whether or not the token was valid (§2.2): an invalid,
 *   expired or foreign token needs no revocation, and the answer reveals nothing;
 * - a token issued to another client (or to no client) is not revoked (§2.1), still 200,
 *   and audited as a failure (`token_of_another_client`);
 * - `token_type_hint` is ignored (§2.1 allows it): the token is looked up as an access
 *   token, then as a refresh token, whatever the hint; `unsupported_token_type` would only
 *   apply to a type it can locate but not revoke, which it does not have;
 * - the store unreachable: 503, the client retries (revocation is idempotent), with the same
 *   client assertion if it likes: the pipeline gives its `jti` back.
 */
import { Injectable } from '@nestjs/common';
import type { EndpointStep } from '../oauth-pipeline/endpoint.types';
import { decide, TokenManagementEndpoint, TokenManagementSteps, type TokenManagementContext } from '../token-management/token-management-endpoint';
import { RefreshTokenStore, type RefreshFamily } from '../refresh/refresh-token.store';
import { RevocationStore } from './revocation-store.service';

type RevocationContext = TokenManagementContext<void>;

@Injectable()
export class RevocationEndpoint extends TokenManagementEndpoint<void> {
  readonly type = 'revocation';

  constructor(shared: TokenManagementSteps, store: RevocationStore, refreshTokens: RefreshTokenStore) {
    super(shared, revoke(store, refreshTokens));
  }
}

/** Revokes the caller's own valid token (a refresh token: its whole family); anything else is left alone, answered the same. */
function revoke(store: RevocationStore, refreshTokens: RefreshTokenStore): EndpointStep<RevocationContext> {
  return async function revoke(context) {
    const { claims, refreshToken } = context;
    const client = context.client!;
    if (refreshToken) return revokeRefreshToken(context, refreshToken.family, refreshTokens);
    if (!claims) return decide(context, undefined, 'not_revoked', { revoked: false, token_valid: false });
    if (claims.client_id !== client.clientId) {
      context.audit.refusal = 'token_of_another_client';
      return decide(context, undefined, 'not_revoked', { revoked: false, token_valid: true });
    }
    await store.revoke({ jti: claims.jti, expiresAt: claims.exp, clientId: client.clientId });
    decide(context, undefined, 'revoked', { revoked: true });
  };
}

/** A refresh token ends its whole family (CONTRACT.md), when it was issued to this client. */
async function revokeRefreshToken(context: RevocationContext, family: RefreshFamily, refreshTokens: RefreshTokenStore): Promise<void> {
  if (family.clientId !== context.client!.clientId) {
    context.audit.refusal = 'token_of_another_client';
    return decide(context, undefined, 'not_revoked', { revoked: false, token_valid: true, token_type: 'refresh_token' });
  }
  const ended = await refreshTokens.revokeFamily(family.id, 'revoked_by_client');
  decide(context, undefined, 'revoked', { revoked: true, token_type: 'refresh_token', refresh_family_id: family.id, family_ended: ended });
}
