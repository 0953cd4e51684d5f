/** `GET /v1/issuers/{id}/jwks`: the keys held now, when and where from, the last fetch error. */
import type { StoredPartyKeys } from './party-keys.repository';

export interface KeyStatusView {
  keys: Record<string, unknown>[];
  /** Members of the set the broker holds but never uses, and why (RFC 7517 §5). */
  ignored: { kid: string | null; reason: string }[];
  source: StoredPartyKeys['source'];
  jwks_uri: string | null;
  fetched_at: string | null;
  next_refresh_at: string | null;
  last_error: string | null;
  last_error_at: string | null;
  version: number;
}

export function presentKeyStatus(row: StoredPartyKeys): KeyStatusView {
  return {
    keys: row.keys.keys,
    ignored: row.ignored ?? [],
    source: row.source,
    jwks_uri: row.jwks_uri,
    fetched_at: toIso(row.fetched_at),
    next_refresh_at: toIso(row.next_refresh_at),
    last_error: row.last_error,
    last_error_at: toIso(row.last_error_at),
    version: row.version,
  };
}

/** RFC 3339 text of a time column; null stays null. */
export function toIso(value: Date | string): string;
export function toIso(value: Date | string | null): string | null;
export function toIso(value: Date | string | null): string | null {
  if (value === null) return null;
  return (value instanceof Date ? value : new Date(value)).toISOString();
}
