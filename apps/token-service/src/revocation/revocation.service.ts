/**
 * `POST /oauth2/revoke` (RFC 7009) on the shared TokenManagementPipeline (form body →
 * confidential client authenticated → `token` required → the decision here → audit event):
 * our own valid token? → issued to this client? → `jti` marked revoked; else one of our
 * refresh tokens? → issued to this client? → its whole family ended (CONTRACT.md). Enforces:
 * - 200 with an empty body whether or not the token was valid (§2.2): an invalid,
 *   expired or foreign token needs no revocation, and the answer reveals nothing;
 * - a token issued to another client (or to no client) is not revoked (§2.1), still 200;
 * - `token_type_hint` is ignored (§2.1 allows it): the token is looked up as an access
 *   token, then as a refresh token, whatever the hint; `unsupported_token_type` would only
 *   apply to a type it can locate but not revoke, which it does not have;
 * - the store unreachable: 503, the client retries (revocation is idempotent), with the same
 *   client assertion if it likes: its `jti` is given back when the answer is not 200.
 */
import { Injectable } from '@nestjs/common';
import type { AuthenticatedClient } from '../client-auth/client-auth.types';
import { RefreshTokenStore } from '../refresh/refresh-token.store';
import { AccessTokenSigner } from '../signing-keys/access-token-signer.service';
import { RevocationStore } from './revocation-store.service';
import { TokenManagementPipeline, type TokenManagementContext, type TokenManagementDecision } from '../token-management/token-management-pipeline';
import type { OAuthHttpRequest } from '../token-management/token-management-request';

@Injectable()
export class RevocationService {
  constructor(
    private readonly pipeline: TokenManagementPipeline,
    private readonly signer: AccessTokenSigner,
    private readonly store: RevocationStore,
    private readonly refreshTokens: RefreshTokenStore,
  ) {}

  handle(request: OAuthHttpRequest): Promise<void> {
    return this.pipeline.handle('revocation', request, (token, client, context) => this.revoke(token, client, context));
  }

  private async revoke(token: string, client: AuthenticatedClient, context: TokenManagementContext): Promise<TokenManagementDecision<void>> {
    const claims = await this.signer.verify(token);
    if (!claims) return this.revokeRefreshToken(token, client, context);
    context.claims = claims;
    if (claims.client_id !== client.clientId) {
      return notRevoked({ outcome: 'failure', reason: 'token_of_another_client', details: { revoked: false, token_valid: true } });
    }
    await this.store.revoke({ jti: claims.jti, expiresAt: claims.exp, clientId: client.clientId });
    return { answer: undefined, result: 'revoked', audit: { outcome: 'success', details: { revoked: true } } };
  }

  /** A refresh token ends its whole family (CONTRACT.md), when it was issued to this client. */
  private async revokeRefreshToken(token: string, client: AuthenticatedClient, context: TokenManagementContext): Promise<TokenManagementDecision<void>> {
    const presented = await this.refreshTokens.find(token);
    if (!presented) return notRevoked({ outcome: 'success', details: { revoked: false, token_valid: false } });
    const { family } = presented;
    context.refreshFamily = family;
    if (family.clientId !== client.clientId) {
      return notRevoked({ outcome: 'failure', reason: 'token_of_another_client', details: { revoked: false, token_valid: true, token_type: 'refresh_token' } });
    }
    const ended = await this.refreshTokens.revokeFamily(family.id, 'revoked_by_client');
    return {
      answer: undefined,
      result: 'revoked',
      audit: { outcome: 'success', details: { revoked: true, token_type: 'refresh_token', refresh_family_id: family.id, family_ended: ended } },
    };
  }
}

function notRevoked(audit: TokenManagementDecision<void>['audit']): TokenManagementDecision<void> {
  return { answer: undefined, result: 'not_revoked', audit };
}
