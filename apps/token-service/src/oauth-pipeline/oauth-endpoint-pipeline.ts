/**
 * The one pipeline of the OAuth endpoints (token, introspection, revocation), composed as
 * oidc-provider composes its actions: each endpoint is a table of small named steps
 * (endpoint.types.ts) run in order on one context; this runner adds what they all share.
 * Enforces, for every endpoint:
 * - one audit event per request, success or failure, stored in Redis BEFORE the answer: if
 *   it cannot be, the answer is 503 and nothing is issued, revoked or disclosed unaudited. A
 *   request whose grant deferred its `jti` marks (jwt-bearer) stores its success event in
 *   the same script that records them (`commit`, one round trip); a mark refused there
 *   fails the request as its rule would have (rejected like any other step's error);
 * - one path for a rejected request (`reject`): the error of any step becomes the OAuth
 *   error answered (a dependency that did not answer: 503, mapped once by
 *   dependency-unavailable.ts; anything unexpected: logged with its stack, 500), counted,
 *   and audited with its reason and what was known;
 * - a `jti` (client or grant assertion) is used up only by a request answered 200: any
 *   other answer gives back what the request recorded (`givingBackOnFailure`), and the
 *   endpoint withdraws what its steps issued (`withdraw`: a rotated refresh token).
 * Requests refused before the pipeline (by Fastify or the per-address rate limit) are
 * audited by rejected-request.audit.ts.
 */
import { Inject, Injectable } from '@nestjs/common';
import { noteRequestClient, RequestLogger } from '@trust-broker/service-kit/logging';
import { AuditPublisher } from '../audit/audit-publisher.service';
import { dependencyUnavailableAnswer, DependencyUnavailableError } from '../oauth/dependency-unavailable';
import { OAuthError } from '../oauth/oauth-error';
import { TOKEN_SERVICE_CONFIG, type TokenServiceConfig } from '../config/token-service.config';
import { ReplayGuardService } from '../replay/replay-guard.service';
import { givingBackOnFailure, type ReplayLedger } from '../replay/replay-ledger';
import type { EndpointContext, OAuthEndpoint } from './endpoint.types';
import type { OAuthHttpRequest } from './oauth-http-request';
import { markRequestAudited } from './rejected-request.audit';
import { buildAuditEvent, buildReuseRevocationEvent } from './request-audit';

@Injectable()
export class OAuthEndpointPipeline {
  private readonly logger = new RequestLogger(OAuthEndpointPipeline.name);
  private readonly cluster: boolean;

  constructor(
    private readonly audit: AuditPublisher,
    private readonly replayGuard: ReplayGuardService,
    @Inject(TOKEN_SERVICE_CONFIG) config: Pick<TokenServiceConfig, 'redisCluster'>,
  ) {
    this.cluster = config.redisCluster !== undefined;
  }

  handle<C extends EndpointContext, A>(endpoint: OAuthEndpoint<C, A>, request: OAuthHttpRequest): Promise<A> {
    markRequestAudited(request);
    return givingBackOnFailure(this.replayGuard, (ledger) => this.run(endpoint, request, ledger), this.cluster, request);
  }

  private async run<C extends EndpointContext, A>(endpoint: OAuthEndpoint<C, A>, request: OAuthHttpRequest, ledger: ReplayLedger): Promise<A> {
    const shared: EndpointContext = { endpoint: endpoint.type, request, replayGuard: ledger, startedAt: process.hrtime.bigint(), parameters: {}, lists: {}, audit: {} };
    // The endpoint's own fields are all optional (OAuthEndpoint): its steps fill them.
    const context = shared as C;
    let answer: A;
    try {
      const { steps } = endpoint;
      // Indexed, and a step that finished synchronously not awaited: an iterator and a promise less per step.
      for (let i = 0; i < steps.length; i += 1) {
        const pending = steps[i]!(context);
        if (pending !== undefined) await pending;
      }
      answer = endpoint.answer(context);
    } catch (error) {
      throw await this.reject(endpoint, context, error);
    }
    let refusal: unknown;
    try {
      if (ledger.hasDeferred()) refusal = await this.commit(context, ledger);
      else await this.publish(context);
    } catch (error) {
      endpoint.count(context, error instanceof OAuthError ? error.code : 'server_error');
      await endpoint.withdraw?.(context);
      throw error;
    }
    // A deferred mark refused: nothing of the success was stored; the request fails as its rule would have.
    if (refusal !== undefined) throw await this.reject(endpoint, context, refusal);
    endpoint.count(context, undefined);
    return answer;
  }

  /** The deferred marks and the success event in one script; resolves with a refusal to answer, if any. */
  private async commit(context: EndpointContext, ledger: ReplayLedger): Promise<unknown> {
    try {
      const revocation = buildReuseRevocationEvent(context);
      if (revocation) await this.audit.publish(revocation);
      const event = buildAuditEvent(context);
      // The request's access log line names the client its audit event names.
      noteRequestClient(context.request, event.client_id);
      return await ledger.commit(this.audit.entryOf(event));
    } catch (error) {
      throw this.toOAuthError(context.request, error);
    }
  }

  /** The one hook for a rejected request: the error to answer, counted and audited first. */
  private async reject<C extends EndpointContext>(endpoint: OAuthEndpoint<C, unknown>, context: C, error: unknown): Promise<OAuthError> {
    const failure = this.toOAuthError(context.request, error);
    await endpoint.withdraw?.(context);
    endpoint.count(context, failure.code);
    await this.publish(context, failure);
    return failure;
  }

  /** Enqueues the request's audit event (and the revocation event of a family it ended by reuse); if the queue does not take them, the answer is 503. */
  private async publish(context: EndpointContext, failure?: OAuthError): Promise<void> {
    try {
      const revocation = buildReuseRevocationEvent(context);
      const event = buildAuditEvent(context, failure);
      // The request's access log line names the client its audit event names.
      noteRequestClient(context.request, event.client_id);
      await Promise.all([this.audit.publish(event), ...(revocation ? [this.audit.publish(revocation)] : [])]);
    } catch (error) {
      throw this.toOAuthError(context.request, error);
    }
  }

  /** OAuth errors as they are; a dependency that did not answer is 503; anything else is a fault of ours, 500. */
  private toOAuthError(request: OAuthHttpRequest, error: unknown): OAuthError {
    if (error instanceof OAuthError) return error;
    if (error instanceof DependencyUnavailableError) return dependencyUnavailableAnswer(error);
    this.logger.error(request, error instanceof Error ? (error.stack ?? error.message) : String(error));
    return new OAuthError('server_error', 'internal error', 'internal_error');
  }
}
