/**
 * The console's view of the audit API: `GET /v1/audit/events`, `/v1/audit/events/per-minute`
 * and `/v1/audit/verify` relayed to the audit-worker (AUDIT_API_URL), so the console talks
 * to its own origin only (CSP `connect-src 'self'`). The registry checks the admin key
 * first and passes the same credential on; it adds, keeps and logs nothing. The answer
 * is the audit API's own, status included, streamed as it comes (a full verify's NDJSON
 * progress has no total time limit; audit-relay-stream.ts); an audit-worker that does not
 * answer is 503.
 */
import { Controller, Get, Inject, Req, Res, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { REGISTRY_CONFIG, type RegistryConfig } from '../config/registry.config';
import { AdminRoute } from '../http/api-docs';
import { AdminGuard } from '../http/admin.guard';
import { openAuditStream, type RelayedAnswer } from './audit-relay-stream';
import { AuditRelayError } from './audit-relay.errors';

/** The only audit paths relayed; nothing else of the audit-worker is reachable through here. */
const RELAYED = new Set(['/v1/audit/events', '/v1/audit/events/per-minute', '/v1/audit/verify']);
const MAX_ANSWER_BYTES = 4 * 1_048_576;
const NDJSON = 'application/x-ndjson';

interface RelayRequest {
  url: string;
  headers: Record<string, string | string[] | undefined>;
  id: string;
}

interface RelayReply {
  code(status: number): RelayReply;
  header(name: string, value: string): RelayReply;
  send(body: unknown): void;
}

@ApiTags('audit (relayed)')
@AdminRoute()
@UseGuards(AdminGuard)
@Controller('v1/audit')
export class AuditRelayController {
  constructor(@Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig) {}

  @Get('events')
  @ApiOperation({ summary: "The audit API's event list (relayed to the audit-worker; same filters, paging and answer)" })
  events(@Req() request: RelayRequest, @Res() reply: RelayReply): Promise<void> {
    return this.relay(request, reply);
  }

  @Get('events/per-minute')
  @ApiOperation({ summary: "The audit API's per-minute counts (relayed to the audit-worker)" })
  perMinute(@Req() request: RelayRequest, @Res() reply: RelayReply): Promise<void> {
    return this.relay(request, reply);
  }

  @Get('verify')
  @ApiOperation({
    summary:
      "The audit API's hash-chain verification (relayed to the audit-worker): from the last verified signed checkpoint, " +
      'or the whole chain with full=true; the answer adds full, from, walked and untrusted_records to the four contract fields',
  })
  @ApiQuery({ name: 'full', required: false, description: 'true: walk the whole chain, not only what follows the last verified checkpoint', schema: { type: 'boolean' } })
  verify(@Req() request: RelayRequest, @Res() reply: RelayReply): Promise<void> {
    return this.relay(request, reply);
  }

  private async relay(request: RelayRequest, reply: RelayReply): Promise<void> {
    const incoming = new URL(request.url, 'http://registry.invalid');
    if (!RELAYED.has(incoming.pathname)) {
      reply.code(404).send({ error: 'invalid_request', error_description: 'not found' });
      return;
    }
    const target = new URL(`${this.config.console.auditApiUrl}${incoming.pathname}${incoming.search}`);
    const { authorization, accept } = request.headers;
    let answer: RelayedAnswer;
    try {
      answer = await openAuditStream(
        target,
        {
          authorization: typeof authorization === 'string' ? authorization : '',
          // NDJSON asks a verify for a progress line a second while it walks; JSON otherwise, as before.
          accept: typeof accept === 'string' && accept.toLowerCase().includes(NDJSON) ? NDJSON : 'application/json',
          'x-request-id': request.id,
        },
        { ...this.config.console.relay, maxBytes: MAX_ANSWER_BYTES },
      );
      // Redirects are not followed (nor passed on): the audit API answers itself or not at all.
      if (answer.status >= 300 && answer.status < 400) {
        answer.body.destroy();
        throw new Error('redirected');
      }
    } catch {
      throw new AuditRelayError('audit_api_unavailable', 'the audit API does not answer');
    }
    reply
      .code(answer.status)
      .header('Content-Type', answer.contentType ?? 'application/json; charset=utf-8')
      .header('Cache-Control', 'no-store')
      .send(answer.body);
  }
}
