/**
 * Keyset paging for lists: `limit` 1..100 (larger values capped), and an opaque cursor
 * holding the last item's (created_at, id). The timestamp keeps Postgres' microseconds.
 */
import { z } from 'zod';
import type { Sql } from '../database/registry-database';
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

export type PageQuery = z.infer<typeof PageQuerySchema>;

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

/** A row of a page query: the row and its `created_at` as exact text (the cursor's key). */
export type PageRow<Row> = Row & { created_at_key: string };

/** One page of a table in (created_at, id) order: `limit + 1` rows, so `toPage` knows whether more follow. */
export async function selectPage<Row>(sql: Sql, from: { table: string; id: string; idType: 'uuid' | 'text' }, page: PageRequest): Promise<PageRow<Row>[]> {
  return sql.rows<PageRow<Row>>(
    `SELECT *, ${CREATED_AT_KEY_SQL} AS created_at_key FROM ${from.table}
     WHERE $1::timestamptz IS NULL OR (created_at, ${from.id}) > ($1::timestamptz, $2::${from.idType})
     ORDER BY created_at, ${from.id} LIMIT $3`,
    [page.after?.createdAt ?? null, page.after?.id ?? null, page.limit + 1],
  );
}

export function toPageRequest(query: PageQuery): PageRequest {
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
