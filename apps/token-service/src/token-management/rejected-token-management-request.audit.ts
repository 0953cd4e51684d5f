/**
 * An introspection or revocation request that Fastify refuses before it reaches the
 * pipeline (a body over the limit: 413; an unsupported content type) still makes its one
 * audit event. The controllers mark the requests their pipeline audits; this hook audits
 * the others once answered (nothing was checked or changed, so nothing waits on it).
 */
import { randomUUID } from 'node:crypto';
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { AuditPublisher } from '../audit/audit-publisher.service';

const AUDITED_PATHS: ReadonlyMap<string, 'introspection' | 'revocation'> = new Map([
  ['/oauth2/introspect', 'introspection'],
  ['/oauth2/revoke', 'revocation'],
]);
const HANDLED = Symbol('tokenManagementRequestAudited');

interface MarkableRequest {
  [HANDLED]?: boolean;
}

interface FastifyLike {
  addHook(
    name: 'onResponse',
    hook: (request: { method: string; url: string; id: unknown; ip: string }, reply: { statusCode: number }) => Promise<void>,
  ): void;
}

/** Called by the controllers: the pipeline makes this request's audit event itself. */
export function markTokenManagementRequestAudited(request: object): void {
  (request as MarkableRequest)[HANDLED] = true;
}

@Injectable()
export class RejectedTokenManagementRequestAudit implements OnModuleInit {
  private readonly logger = new Logger('TokenManagementAudit');

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly audit: AuditPublisher,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyLike>();
    fastify?.addHook('onResponse', async (request, reply) => {
      const type = AUDITED_PATHS.get(request.url.split('?')[0] ?? '');
      if (request.method !== 'POST' || !type) return;
      if ((request as unknown as MarkableRequest)[HANDLED] || reply.statusCode < 400) return;
      await this.audit
        .publish({
          id: randomUUID(),
          type,
          occurred_at: new Date().toISOString(),
          outcome: 'failure',
          reason: reply.statusCode === 413 ? 'body_too_large' : 'malformed_request',
          error: 'invalid_request',
          actor: 'anonymous',
          request_id: String(request.id).slice(0, 128),
          remote_addr: request.ip.slice(0, 64),
        })
        .catch((error: Error) => this.logger.warn(`audit event of a rejected ${type} request lost: ${error.message}`));
    });
  }
}
