/**
 * The pipeline introspection (RFC 7662) and revocation (RFC 7009) share: form body →
 * confidential client authenticated → `token` required → the endpoint's own decision →
 * one audit event → answer. Enforces, for both:
 * - a failure at any step is answered as its OAuth error (a dependency that does not answer:
 *   503), counted, and audited as a failure with its reason before the answer;
 * - the decision's audit event is enqueued before the answer: if it cannot be, 503;
 * - a client assertion's `jti` is used up only by a request answered 200: an error answer or
 *   a 503 gives it back (`givingBackOnFailure`), so the client can retry with it.
 */
import { Inject, Injectable } from '@nestjs/common';
import { AuditPublisher } from '../audit/audit-publisher.service';
import { ClientAuthenticator } from '../client-auth/client-authenticator.service';
import type { AuthenticatedClient, ClientAuthenticatorApi } from '../client-auth/client-auth.types';
import { readFormParameters } from '../oauth/form-body';
import { OAuthError } from '../oauth/oauth-error';
import { ReplayGuardService } from '../replay/replay-guard.service';
import { givingBackOnFailure, type ReplayLedger } from '../replay/replay-ledger';
import type { AccessTokenClaims } from '../signing-keys/access-token.types';
import { TokenManagementMetrics } from './token-management-metrics';
import {
  authenticateConfidentialCaller,
  buildTokenManagementAuditEvent,
  requireTokenParameter,
  toEndpointError,
  type OAuthHttpRequest,
  type RefreshFamilyFacts,
  type TokenManagementAuditInput,
} from './token-management-request';

export type TokenManagementEndpoint = 'introspection' | 'revocation';

/** What one request has learnt so far, for its audit event. */
export interface TokenManagementContext {
  client?: AuthenticatedClient;
  /** The presented token's claims, once its signature and issuer checked out. */
  claims?: AccessTokenClaims;
  /** The family of a presented refresh token, once found. */
  refreshFamily?: RefreshFamilyFacts;
}

/** An endpoint's decision about the presented token: its answer, its metric result and its audit fields. */
export interface TokenManagementDecision<T> {
  answer: T;
  result: string;
  audit: Pick<TokenManagementAuditInput, 'outcome' | 'reason' | 'details'>;
}

export type DecideOnToken<T> = (token: string, client: AuthenticatedClient, context: TokenManagementContext) => Promise<TokenManagementDecision<T>>;

@Injectable()
export class TokenManagementPipeline {
  private readonly metrics = new TokenManagementMetrics();

  constructor(
    @Inject(ClientAuthenticator) private readonly authenticator: ClientAuthenticatorApi,
    private readonly audit: AuditPublisher,
    private readonly replayGuard: ReplayGuardService,
  ) {}

  handle<T>(endpoint: TokenManagementEndpoint, request: OAuthHttpRequest, decide: DecideOnToken<T>): Promise<T> {
    return givingBackOnFailure(this.replayGuard, (ledger) => this.answer(endpoint, request, decide, ledger));
  }

  private async answer<T>(endpoint: TokenManagementEndpoint, request: OAuthHttpRequest, decide: DecideOnToken<T>, ledger: ReplayLedger): Promise<T> {
    const context: TokenManagementContext = {};
    let decision: TokenManagementDecision<T>;
    try {
      const contentType = request.headers['content-type'];
      const parameters = readFormParameters(request.body, typeof contentType === 'string' ? contentType : undefined);
      context.client = await authenticateConfidentialCaller(this.authenticator, endpoint, request, parameters, ledger);
      decision = await decide(requireTokenParameter(parameters), context.client, context);
    } catch (error) {
      const answered = toEndpointError(error);
      const reason = answered instanceof OAuthError ? answered.reason : 'internal_error';
      const code = answered instanceof OAuthError ? answered.code : 'server_error';
      this.metrics.record(endpoint, code);
      const verifiedClient = answered instanceof OAuthError ? answered.verifiedClient : undefined;
      await this.publish({ ...context, type: endpoint, request, outcome: 'failure', reason, error: code, ...(verifiedClient && { verifiedClient }) });
      throw answered;
    }
    await this.publish({ ...context, type: endpoint, request, ...decision.audit });
    this.metrics.record(endpoint, decision.result);
    return decision.answer;
  }

  private async publish(input: TokenManagementAuditInput): Promise<void> {
    try {
      await this.audit.publish(buildTokenManagementAuditEvent(input));
    } catch (error) {
      throw toEndpointError(error);
    }
  }
}
