import { Readable } from 'node:stream';
import { Controller, Get, Header, Inject, Query, Res, UseGuards } from '@nestjs/common';
import { AdminGuard } from '../http/admin.guard';
import { AuditEventsRepository, type AuditEventItem, type EventPage } from './audit-events.repository';
import { parseEventQuery } from './event-query';

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
