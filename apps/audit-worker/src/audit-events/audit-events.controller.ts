import { Readable } from 'node:stream';
import { Controller, Get, Header, Inject, Query, Res, UseGuards } from '@nestjs/common';
import { AdminGuard } from '../http/admin.guard';
import { invalidRequest } from '@trust-broker/service-kit/errors';
import { AuditEventsRepository, type AuditEventItem, type EventPage, type MinuteCount } from './audit-events.repository';
import { parseEventQuery } from './event-query';

const MAX_PER_MINUTE_SPAN_MS = 24 * 3_600_000;

interface StreamReply {
  header(name: string, value: string): StreamReply;
  send(body: unknown): void;
}

@Controller('v1/audit/events')
@UseGuards(AdminGuard)
export class AuditEventsController {
  constructor(@Inject(AuditEventsRepository) private readonly events: AuditEventsRepository) {}

  @Get()
  @Header('Cache-Control', 'no-store')
  async list(@Query() query: Record<string, unknown>): Promise<EventPage> {
    return this.events.page(parseEventQuery(query));
  }

  /**
   * Counts per minute by outcome (the console's chart): the same filters; `since` and
   * `until` default to the last hour and may span at most 24 hours.
   */
  @Get('per-minute')
  @Header('Cache-Control', 'no-store')
  async perMinute(@Query() query: Record<string, unknown>): Promise<{ items: MinuteCount[] }> {
    const { filters } = parseEventQuery(query);
    const until = filters.until ?? new Date();
    const since = filters.since ?? new Date(until.getTime() - 3_600_000);
    if (since > until) throw invalidRequest('since must not be after until');
    if (until.getTime() - since.getTime() > MAX_PER_MINUTE_SPAN_MS) throw invalidRequest('since must be at most 24 hours before until');
    return { items: await this.events.perMinute({ ...filters, since, until }) };
  }

  /** NDJSON, oldest first, for a SIEM; the same filters, no paging (one page of rows in memory at a time). */
  @Get('export')
  async export(@Query() query: Record<string, unknown>, @Res() reply: StreamReply): Promise<void> {
    const { filters } = parseEventQuery(query);
    const lines = async function* (items: AsyncGenerator<AuditEventItem>) {
      for await (const item of items) yield `${JSON.stringify(item)}\n`;
    };
    reply
      .header('Content-Type', 'application/x-ndjson; charset=utf-8')
      .header('Cache-Control', 'no-store')
      .send(Readable.from(lines(this.events.exportEvents(filters))));
  }
}
