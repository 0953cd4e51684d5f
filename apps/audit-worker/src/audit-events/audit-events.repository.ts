/**
 * Reads events for the audit API: keyset pages on seq (newest first) and an export
 * walk (oldest first) that reads one page at a time, so neither loads everything.
 */
import type { DataSource } from 'typeorm';
import type { AuditEvent } from '@trust-broker/contracts';
import { EVENT_COLUMNS, eventFromRow, type EventRow } from '../audit-chain/chain-event';
import { encodeCursor, type EventFilters, type EventQuery } from './event-query';

export type AuditEventItem = AuditEvent & { seq: number };

export interface EventPage {
  items: AuditEventItem[];
  next_cursor: string | null;
}

const SELECT = `SELECT seq, ${EVENT_COLUMNS.join(', ')}, prev_hash, hash FROM audit.events`;
const EXPORT_PAGE_SIZE = 1000;

function whereClause(filters: EventFilters, params: unknown[]): string[] {
  const conditions: string[] = [];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    conditions.push(sql.replaceAll('?', `$${params.length}`));
  };
  if (filters.type !== undefined) add('type = ?', filters.type);
  if (filters.outcome !== undefined) add('outcome = ?', filters.outcome);
  // The MD5 comparison lets the index on md5(issuer) serve (see the migration); the second one decides.
  if (filters.issuer !== undefined) add('md5(issuer) = md5(?::text) AND issuer = ?', filters.issuer);
  if (filters.client_id !== undefined) add('client_id = ?', filters.client_id);
  if (filters.subject !== undefined) add('md5(subject) = md5(?::text) AND subject = ?', filters.subject);
  if (filters.since !== undefined) add('occurred_at >= ?', filters.since.toISOString());
  if (filters.until !== undefined) add('occurred_at <= ?', filters.until.toISOString());
  return conditions;
}

function toItem(row: EventRow): AuditEventItem {
  return { ...eventFromRow(row), seq: Number(row.seq) };
}

export interface MinuteCount {
  /** The minute's start, RFC 3339 (UTC). */
  minute: string;
  success: number;
  failure: number;
}

export class AuditEventsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Newest first; `after` continues below the last seq of the previous page. */
  async page(query: EventQuery): Promise<EventPage> {
    const params: unknown[] = [];
    const conditions = whereClause(query.filters, params);
    if (query.after !== undefined) {
      params.push(query.after);
      conditions.push(`seq < $${params.length}`);
    }
    const where = conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '';
    const rows: EventRow[] = await this.dataSource.query(`${SELECT}${where} ORDER BY seq DESC LIMIT ${query.limit + 1}`, params);
    const items = rows.slice(0, query.limit).map(toItem);
    const more = rows.length > query.limit;
    return { items, next_cursor: more ? encodeCursor(items[items.length - 1]!.seq) : null };
  }

  /** Events per minute by outcome, oldest minute first; minutes without events are left out. */
  async perMinute(filters: EventFilters): Promise<MinuteCount[]> {
    const params: unknown[] = [];
    const conditions = whereClause(filters, params);
    const where = conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '';
    const rows: { minute: Date; success: string; failure: string }[] = await this.dataSource.query(
      `SELECT date_trunc('minute', occurred_at) AS minute,
              count(*) FILTER (WHERE outcome = 'success') AS success,
              count(*) FILTER (WHERE outcome = 'failure') AS failure
         FROM audit.events${where}
        GROUP BY 1 ORDER BY 1`,
      params,
    );
    return rows.map((row) => ({ minute: new Date(row.minute).toISOString(), success: Number(row.success), failure: Number(row.failure) }));
  }

  /** Oldest first, one page of rows at a time. */
  async *exportEvents(filters: EventFilters): AsyncGenerator<AuditEventItem> {
    let lastSeq = 0;
    for (;;) {
      const params: unknown[] = [];
      const conditions = whereClause(filters, params);
      params.push(lastSeq);
      conditions.push(`seq > $${params.length}`);
      const rows: EventRow[] = await this.dataSource.query(
        `${SELECT} WHERE ${conditions.join(' AND ')} ORDER BY seq LIMIT ${EXPORT_PAGE_SIZE}`,
        params,
      );
      for (const row of rows) yield toItem(row);
      if (rows.length < EXPORT_PAGE_SIZE) return;
      lastSeq = Number(rows[rows.length - 1]!.seq);
    }
  }
}
