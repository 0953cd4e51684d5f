/**
 * Keyset paging for lists: `limit` 1..100 (larger values capped), and an opaque cursor
 * holding the last item's (created_at, id). The timestamp keeps Postgres' microseconds.
 */
import { z } from 'zod';
import { RequestError } from './request.errors';

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 50;

export const PageQuerySchema = z
  .object({
    limit: z
      .string()
      .regex(/^\d+$/, 'must be an integer from 1 to 100')
      .transform(Number)
      .refine((n) => n >= 1, 'must be an integer from 1 to 100')
      .transform((n) => Math.min(n, MAX_PAGE_SIZE))
      .optional(),
    cursor: z.string().max(512).optional(),
  })
  .strict();

export interface PageRequest {
  limit: number;
  after: PageKey | null;
}

export interface PageKey {
  createdAt: string;
  id: string;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/** SQL expression that renders created_at exactly (microseconds, UTC). */
export const CREATED_AT_KEY_SQL = `to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

export function toPageRequest(query: z.infer<typeof PageQuerySchema>): PageRequest {
  return { limit: query.limit ?? DEFAULT_PAGE_SIZE, after: query.cursor === undefined ? null : decodeCursor(query.cursor) };
}

export function encodeCursor(key: PageKey): string {
  return Buffer.from(JSON.stringify([key.createdAt, key.id]), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): PageKey {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(decoded) &&
      decoded.length === 2 &&
      typeof decoded[0] === 'string' &&
      /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/.test(decoded[0]) &&
      typeof decoded[1] === 'string' &&
      decoded[1].length > 0 &&
      decoded[1].length <= 256
    ) {
      return { createdAt: decoded[0], id: decoded[1] };
    }
  } catch {
    // fall through
  }
  throw new RequestError('cursor_invalid', 'cursor: not a cursor returned by this list');
}

/** Builds a page from `limit + 1` rows fetched in key order. */
export function toPage<R extends { created_at_key: string }, T>(rows: R[], limit: number, idOf: (row: R) => string, present: (row: R) => T): Page<T> {
  const pageRows = rows.slice(0, limit);
  const last = pageRows[pageRows.length - 1];
  return {
    items: pageRows.map(present),
    next_cursor: rows.length > limit && last ? encodeCursor({ createdAt: last.created_at_key, id: idOf(last) }) : null,
  };
}
