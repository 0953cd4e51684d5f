/**
 * A token request that Fastify refuses before it reaches the pipeline (a body over the
 * limit: 413; an unsupported content type) still makes its one audit event (CONTRACT.md:
 * every token request, success or failure). The pipeline marks the requests it handled;
 * this hook audits the others once answered (they issue nothing, so nothing waits on it).
 */
import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AuditPublisher } from '../audit/audit-publisher.service';

const TOKEN_PATH = '/oauth2/token';
const HANDLED = Symbol('tokenRequestAudited');

interface MarkableRequest {
  [HANDLED]?: boolean;
}

/** Called by the controller: the pipeline makes this request's audit event itself. */
export function markTokenRequestAudited(request: object): void {
  (request as MarkableRequest)[HANDLED] = true;
}

export function auditRejectedTokenRequests(app: NestFastifyApplication): void {
  const publisher = app.get(AuditPublisher);
  const logger = new Logger('TokenRequestAudit');
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onResponse', async (request, reply) => {
    if (request.method !== 'POST' || request.url.split('?')[0] !== TOKEN_PATH) return;
    if ((request as unknown as MarkableRequest)[HANDLED] || reply.statusCode < 400) return;
    const reason = reply.statusCode === 413 ? 'body_too_large' : 'malformed_request';
    await publisher
      .publish({
        id: randomUUID(),
        type: 'token',
        occurred_at: new Date().toISOString(),
        outcome: 'failure',
        reason,
        error: 'invalid_request',
        actor: 'anonymous',
        request_id: String(request.id).slice(0, 128),
        remote_addr: request.ip.slice(0, 64),
      })
      .catch((error: Error) => logger.warn(`audit event of a rejected token request lost: ${error.message}`));
  });
}
