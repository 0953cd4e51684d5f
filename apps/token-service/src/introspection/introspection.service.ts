/**
 * `POST /oauth2/introspect` (RFC 7662) as a pipeline: form body → confidential client
 * authenticated → `token` required → our own valid token (signature with our keys,
 * `iss`, `typ: at+jwt`, not expired)? → not revoked? → answer → audit event. Enforces:
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
import { Inject, Injectable } from '@nestjs/common';
import { ApiError } from '@trust-broker/service-kit';
import { AuditPublisher } from '../audit/audit-publisher.service';
import { ClientAuthenticator } from '../client-auth/client-authenticator.service';
import type { AuthenticatedClient, ClientAuthenticatorApi } from '../client-auth/client-auth.types';
import { readFormParameters } from '../oauth/form-body';
import { ReplayGuardService } from '../replay/replay-guard.service';
import { givingBackOnFailure, type ReplayLedger } from '../replay/replay-ledger';
import { RevocationStore } from '../revocation/revocation-store.service';
import { TokenManagementMetrics } from '../revocation/token-management-metrics';
import {
  authenticateConfidentialCaller,
  buildTokenManagementAuditEvent,
  requireTokenParameter,
  toEndpointError,
  type OAuthHttpRequest,
  type TokenManagementAuditInput,
} from '../revocation/token-management-request';
import { AccessTokenSigner } from '../signing-keys/access-token-signer.service';
import type { AccessTokenClaims } from '../signing-keys/access-token.types';

export type IntrospectionResponse = { active: false } | ({ active: true; token_type: 'Bearer' } & AccessTokenClaims);

interface IntrospectionContext {
  client?: AuthenticatedClient;
  claims?: AccessTokenClaims;
}

@Injectable()
export class IntrospectionService {
  private readonly metrics = new TokenManagementMetrics();

  constructor(
    @Inject(ClientAuthenticator) private readonly authenticator: ClientAuthenticatorApi,
    private readonly signer: AccessTokenSigner,
    private readonly revocations: RevocationStore,
    private readonly audit: AuditPublisher,
    private readonly replayGuard: ReplayGuardService,
  ) {}

  handle(request: OAuthHttpRequest): Promise<IntrospectionResponse> {
    return givingBackOnFailure(this.replayGuard, (ledger) => this.answer(request, ledger));
  }

  private async answer(request: OAuthHttpRequest, ledger: ReplayLedger): Promise<IntrospectionResponse> {
    const context: IntrospectionContext = {};
    let answer: { response: IntrospectionResponse; inactiveReason?: string };
    try {
      answer = await this.introspect(request, context, ledger);
    } catch (error) {
      const answered = toEndpointError(error);
      const reason = answered instanceof ApiError ? answered.reason : 'internal_error';
      const code = answered instanceof ApiError ? answered.error : 'server_error';
      this.metrics.record('introspection', code);
      await this.publish({ ...context, request, outcome: 'failure', reason, error: code });
      throw answered;
    }
    const { response, inactiveReason } = answer;
    await this.publish({
      ...context,
      request,
      outcome: 'success',
      details: response.active
        ? { active: true, token_client_id: response.client_id ?? null }
        : { active: false, inactive_reason: inactiveReason },
    });
    this.metrics.record('introspection', response.active ? 'active' : 'inactive');
    return response;
  }

  private async introspect(
    request: OAuthHttpRequest,
    context: IntrospectionContext,
    ledger: ReplayLedger,
  ): Promise<{ response: IntrospectionResponse; inactiveReason?: string }> {
    const contentType = request.headers['content-type'];
    const parameters = readFormParameters(request.body, typeof contentType === 'string' ? contentType : undefined);
    context.client = await authenticateConfidentialCaller(this.authenticator, 'introspection', request, parameters, ledger);
    const token = requireTokenParameter(parameters);
    const claims = await this.signer.verify(token);
    if (!claims) return { response: { active: false }, inactiveReason: 'token_invalid' };
    context.claims = claims;
    if (await this.revocations.isRevoked(claims.jti)) return { response: { active: false }, inactiveReason: 'token_revoked' };
    // `active` and `token_type` last: no claim may override them.
    return { response: { ...claims, active: true, token_type: 'Bearer' } };
  }

  private async publish(input: Omit<TokenManagementAuditInput, 'type'>): Promise<void> {
    try {
      await this.audit.publish(buildTokenManagementAuditEvent({ ...input, type: 'introspection' }));
    } catch (error) {
      throw toEndpointError(error);
    }
  }
}
