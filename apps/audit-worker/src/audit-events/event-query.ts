/**
 * Parses the query of GET /v1/audit/events (and its export): each filter is checked and a
 * bad one answers 400 invalid_request naming the parameter. `limit` is 1 to 100 (larger is
 * capped); `cursor` is opaque to callers: the base64url of the last seq they saw.
 */
import { AUDIT_EVENT_TYPES } from '@trust-broker/contracts';
import { invalidRequest } from '@trust-broker/service-kit/errors';

export interface EventFilters {
  type?: string;
  issuer?: string;
  client_id?: string;
  subject?: string;
  outcome?: string;
  since?: Date;
  until?: Date;
}

export interface EventQuery {
  filters: EventFilters;
  limit: number;
  /** Keyset position: the seq of the last item of the previous page. */
  after?: number;
}

export const MAX_LIMIT = 100;
export const DEFAULT_LIMIT = 50;
const TYPES = new Set<string>(AUDIT_EVENT_TYPES);
const OUTCOMES = new Set(['success', 'failure']);
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ]([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$/;
const TEXT_FILTERS = ['issuer', 'client_id', 'subject'] as const;

export function encodeCursor(seq: number): string {
  return Buffer.from(`seq:${seq}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): number | undefined {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(cursor)) return undefined;
  const match = /^seq:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match ? Number(match[1]) : undefined;
}

/** An RFC 3339 date-time, or undefined; a day that does not exist (Feb 30) is refused, not rolled over. */
export function parseRfc3339(value: string): Date | undefined {
  const match = RFC3339.exec(value);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const calendarDay = new Date(Date.UTC(year, month - 1, day));
  if (month < 1 || month > 12 || calendarDay.getUTCDate() !== day) return undefined;
  const time = new Date(value);
  return Number.isNaN(time.getTime()) ? undefined : time;
}

export function parseEventQuery(query: Record<string, unknown>): EventQuery {
  const single = (name: string): string | undefined => {
    const value = query[name];
    if (value === undefined || value === '') return undefined;
    if (typeof value !== 'string') throw invalidRequest(`${name} must be given at most once`);
    return value;
  };
  const filters: EventFilters = {};
  const type = single('type');
  if (type !== undefined) {
    if (!TYPES.has(type)) throw invalidRequest(`type must be one of ${AUDIT_EVENT_TYPES.join(', ')}`);
    filters.type = type;
  }
  const outcome = single('outcome');
  if (outcome !== undefined) {
    if (!OUTCOMES.has(outcome)) throw invalidRequest('outcome must be success or failure');
    filters.outcome = outcome;
  }
  for (const name of TEXT_FILTERS) {
    const value = single(name);
    if (value === undefined) continue;
    if (value.length > 4096) throw invalidRequest(`${name} is too long`);
    filters[name] = value;
  }
  for (const name of ['since', 'until'] as const) {
    const value = single(name);
    if (value === undefined) continue;
    const time = parseRfc3339(value);
    if (!time) throw invalidRequest(`${name} must be an RFC 3339 time, e.g. 2026-01-31T12:00:00Z`);
    filters[name] = time;
  }
  if (filters.since && filters.until && filters.since > filters.until) throw invalidRequest('since must not be after until');

  let limit = DEFAULT_LIMIT;
  const limitText = single('limit');
  if (limitText !== undefined) {
    if (!/^\d{1,10}$/.test(limitText) || Number(limitText) < 1) throw invalidRequest('limit must be an integer from 1 to 100');
    limit = Math.min(Number(limitText), MAX_LIMIT);
  }
  const cursorText = single('cursor');
  let after: number | undefined;
  if (cursorText !== undefined) {
    after = decodeCursor(cursorText);
    if (after === undefined) throw invalidRequest('cursor is not valid');
  }
  return { filters, limit, after };
}
