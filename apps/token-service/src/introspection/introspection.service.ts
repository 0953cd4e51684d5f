/**
 * `POST /oauth2/introspect` (RFC 7662) on the shared TokenManagementPipeline (form body →
 * confidential client authenticated → `token` required → the decision here → audit event):
 * our own valid token (signature with our keys, `iss`, `typ: at+jwt`, not expired)? → not
 * revoked? → answer. Enforces:
 * - `{"active": false}` and nothing else for any token that is not valid, unexpired and
 *   unrevoked (§2.2): the answer never says why;
 * - an active token's claims as RFC 7662 §2.2 names them, plus `token_type: Bearer`,
 *   `idp` and the claims mapped in by the issuer's `claim_mappings`;
 * - `token_type_hint` is ignored (§2.1 allows it: only access tokens exist here);
 * - any authenticated confidential client may introspect any token: resource servers
 *   introspect tokens issued to other clients (§4 asks for caller authentication, which
 *   stops token scanning by anonymous callers);
 * - the revocation store unreachable: 503, never an unchecked `active: true`;
 * - a client assertion's `jti` is given back when the answer is not 200 (a retry can use it).
 */
import { Injectable } from '@nestjs/common';
import { RevocationStore } from '../revocation/revocation-store.service';
import { TokenManagementPipeline, type TokenManagementContext, type TokenManagementDecision } from '../revocation/token-management-pipeline';
import type { OAuthHttpRequest } from '../revocation/token-management-request';
import { AccessTokenSigner } from '../signing-keys/access-token-signer.service';
import type { AccessTokenClaims } from '../signing-keys/access-token.types';

export type IntrospectionResponse = { active: false } | ({ active: true; token_type: 'Bearer' } & AccessTokenClaims);

@Injectable()
export class IntrospectionService {
  constructor(
    private readonly pipeline: TokenManagementPipeline,
    private readonly signer: AccessTokenSigner,
    private readonly revocations: RevocationStore,
  ) {}

  handle(request: OAuthHttpRequest): Promise<IntrospectionResponse> {
    return this.pipeline.handle('introspection', request, (token, _client, context) => this.introspect(token, context));
  }

  private async introspect(token: string, context: TokenManagementContext): Promise<TokenManagementDecision<IntrospectionResponse>> {
    const claims = await this.signer.verify(token);
    if (!claims) return inactive('token_invalid');
    context.claims = claims;
    if (await this.revocations.isRevoked(claims.jti)) return inactive('token_revoked');
    return {
      // `active` and `token_type` last: no claim may override them.
      answer: { ...claims, active: true, token_type: 'Bearer' },
      result: 'active',
      audit: { outcome: 'success', details: { active: true, token_client_id: claims.client_id ?? null } },
    };
  }
}

function inactive(reason: 'token_invalid' | 'token_revoked'): TokenManagementDecision<IntrospectionResponse> {
  return { answer: { active: false }, result: 'inactive', audit: { outcome: 'success', details: { active: false, inactive_reason: reason } } };
}
