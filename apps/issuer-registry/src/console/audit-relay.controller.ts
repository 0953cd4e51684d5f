/**
 * The console's view of the audit API: `GET /v1/audit/events`, `/v1/audit/events/per-minute`
 * and `/v1/audit/verify` relayed to the audit-worker (AUDIT_API_URL), so the console talks
 * to its own origin only (CSP `connect-src 'self'`). The registry checks the admin key
 * first and passes the same credential on; it adds, keeps and logs nothing. The answer
 * is the audit API's own, status included; an audit-worker that does not answer is 503.
 */
import { Controller, Get, Inject, Req, Res, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { REGISTRY_CONFIG, type RegistryConfig } from '../config/registry.config';
import { AdminRoute } from '../http/api-docs';
import { AdminGuard } from '../http/admin.guard';
import { AuditRelayError } from './audit-relay.errors';

/** The only audit paths relayed; nothing else of the audit-worker is reachable through here. */
const RELAYED = new Set(['/v1/audit/events', '/v1/audit/events/per-minute', '/v1/audit/verify']);
const RELAY_TIMEOUT_MS = 30_000;
const MAX_ANSWER_BYTES = 4 * 1_048_576;

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
    const target = `${this.config.console.auditApiUrl}${incoming.pathname}${incoming.search}`;
    const authorization = request.headers.authorization;
    try {
      const answer = await fetch(target, {
        headers: { authorization: typeof authorization === 'string' ? authorization : '', accept: 'application/json', 'x-request-id': request.id },
        redirect: 'error',
        signal: AbortSignal.timeout(RELAY_TIMEOUT_MS),
      });
      const body = Buffer.from(await answer.arrayBuffer());
      if (body.length > MAX_ANSWER_BYTES) throw new Error('answer too large');
      reply
        .code(answer.status)
        .header('Content-Type', answer.headers.get('content-type') ?? 'application/json; charset=utf-8')
        .header('Cache-Control', 'no-store')
        .send(body);
    } catch {
      throw new AuditRelayError('audit_api_unavailable', 'the audit API does not answer');
    }
  }
}
