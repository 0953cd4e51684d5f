/**
 * An OAuth request that Fastify refuses before it reaches the pipeline (a body over the
 * limit: 413; an unsupported content type) still makes its one audit event (CONTRACT.md:
 * every token, introspection and revocation request, success or failure). The pipeline,
 * and the per-address rate limit that audits its own refusals (auditEarlyRefusal, as this
 * hook does), mark the requests they audit; this hook audits the others once answered.
 */
import { randomUUID } from 'node:crypto';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { noteRequestClient, RequestLogger } from '@trust-broker/service-kit/logging';
import { AuditPublisher } from '../audit/audit-publisher.service';
import type { EndpointType } from './endpoint.types';

export const OAUTH_ENDPOINT_PATHS: ReadonlyMap<string, EndpointType> = new Map([
  ['/oauth2/token', 'token'],
  ['/oauth2/introspect', 'introspection'],
  ['/oauth2/revoke', 'revocation'],
]);

const AUDITED = Symbol('oauthRequestAudited');

interface MarkableRequest {
  [AUDITED]?: boolean;
}

interface FastifyLike {
  addHook(
    name: 'onResponse',
    hook: (request: { method: string; url: string; id: unknown; ip: string }, reply: { statusCode: number }) => Promise<void>,
  ): void;
}

/** This request's audit event is made by whoever calls this (the pipeline, the rate limit). */
export function markRequestAudited(request: object): void {
  (request as MarkableRequest)[AUDITED] = true;
}

/** A request refused before the pipeline knew anything of it: its reason, its error, and at most the client it claimed. */
export interface EarlyRefusal {
  reason: 'body_too_large' | 'malformed_request' | 'rate_limited';
  error: 'invalid_request' | 'temporarily_unavailable';
  claimedClientId?: string;
}

/**
 * Publishes the one audit event of a request refused before the pipeline. Nothing was
 * checked, issued or changed, so nothing waits on it: a lost event is logged.
 */
export async function auditEarlyRefusal(
  audit: AuditPublisher,
  logger: RequestLogger,
  type: EndpointType,
  request: { id: unknown; ip: string },
  refusal: EarlyRefusal,
): Promise<void> {
  markRequestAudited(request);
  const clientId = refusal.claimedClientId?.slice(0, 256) ?? null;
  // The request's access log line names the client its audit event names.
  noteRequestClient(request, clientId);
  await audit
    .publish({
      id: randomUUID(),
      type,
      occurred_at: new Date().toISOString(),
      outcome: 'failure',
      reason: refusal.reason,
      error: refusal.error,
      actor: 'anonymous',
      client_id: clientId,
      request_id: String(request.id).slice(0, 128),
      remote_addr: request.ip.slice(0, 64),
    })
    .catch((error: Error) => logger.warn(request, `audit event of a refused ${type} request lost: ${error.message}`));
}

@Injectable()
export class RejectedRequestAudit implements OnModuleInit {
  private readonly logger = new RequestLogger('RejectedRequestAudit');

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly audit: AuditPublisher,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyLike>();
    fastify?.addHook('onResponse', async (request, reply) => {
      const type = OAUTH_ENDPOINT_PATHS.get(request.url.split('?')[0] ?? '');
      if (request.method !== 'POST' || !type) return;
      if ((request as unknown as MarkableRequest)[AUDITED] || reply.statusCode < 400) return;
      const reason = reply.statusCode === 413 ? 'body_too_large' : 'malformed_request';
      await auditEarlyRefusal(this.audit, this.logger, type, request, { reason, error: 'invalid_request' });
    });
  }
}
