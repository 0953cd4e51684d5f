/**
 * SQL over `registry.party_keys`: one row per party (issuer uuid or client_id) with the
 * public keys held now, whatever their source. Every change of the keys bumps `version`.
 * Also reads a party's key source columns (issuers, clients) for the refresher, which must
 * not depend on the features that depend on it.
 */
import { Injectable } from '@nestjs/common';
import type { PartyKeysRow } from '@trust-broker/contracts';
import type { IgnoredKey } from '@trust-broker/validation';
import { isUuid, type Sql } from '../database/registry-database';
import type { TrustChangeInput } from '../outbox/outbox.writer';
import type { PublicJwks } from './public-jwks';

export type PartyType = PartyKeysRow['party_type'];
export type KeySource = PartyKeysRow['source'];

/** The trust change that tells token-service a party's keys changed: `issuer_keys` or `client_keys`. */
export function keysChange(party: PartyType, id: string, version: number, op: TrustChangeInput['op']): TrustChangeInput {
  return { entity: party === 'issuer' ? 'issuer_keys' : 'client_keys', id, version, op };
}

export interface StoredPartyKeys extends PartyKeysRow {
  /** Members of the set held but never used (RFC 7517 §5); token-service does not read them. */
  ignored: IgnoredKey[];
  configured_uri: string | null;
  last_attempt_at: Date | null;
}

/** Where a remote party's keys come from. */
export interface RemoteSource {
  /** The `iss` (issuers) or client_id (clients), for audit events. */
  name: string;
  issuer: string | null;
  discovery: boolean;
  jwksUri: string | null;
}

export interface FetchOutcome {
  keys: PublicJwks;
  ignored: IgnoredKey[];
  keysChanged: boolean;
  jwksUri: string | null;
  fetchedAt: Date | null;
  etag: string | null;
  nextRefreshAt: Date;
  lastError: string | null;
}

@Injectable()
export class PartyKeysRepository {
  async read(sql: Sql, party: PartyType, id: string, forUpdate = false): Promise<StoredPartyKeys | null> {
    const rows = await sql.rows<StoredPartyKeys>(
      `SELECT * FROM registry.party_keys WHERE party_type = $1 AND party_id = $2${forUpdate ? ' FOR UPDATE' : ''}`,
      [party, id],
    );
    return rows[0] ?? null;
  }

  /** Inline keys: held as given, never fetched. Returns the new version. */
  async writeInline(tx: Sql, party: PartyType, id: string, jwks: PublicJwks, ignored: readonly IgnoredKey[]): Promise<number> {
    const rows = await tx.rows<{ version: number }>(
      `INSERT INTO registry.party_keys (party_type, party_id, keys, ignored, source, jwks_uri, configured_uri, fetched_at, etag, next_refresh_at, last_error, last_error_at)
       VALUES ($1, $2, $3::jsonb, $4::jsonb, 'inline', NULL, NULL, now(), NULL, NULL, NULL, NULL)
       ON CONFLICT (party_type, party_id) DO UPDATE SET
         keys = EXCLUDED.keys, ignored = EXCLUDED.ignored, source = 'inline', jwks_uri = NULL, configured_uri = NULL, fetched_at = now(),
         etag = NULL, next_refresh_at = NULL, last_error = NULL, last_error_at = NULL, version = registry.party_keys.version + 1
       RETURNING version`,
      [party, id, JSON.stringify(jwks), JSON.stringify(ignored)],
    );
    return rows[0]!.version;
  }

  /**
   * Inline keys re-registered with the same usable keys: only the list of ignored members
   * may differ. No version bump, as token-service reads only the usable keys.
   */
  async writeInlineIgnored(tx: Sql, party: PartyType, id: string, ignored: readonly IgnoredKey[]): Promise<void> {
    await tx.rows(`UPDATE registry.party_keys SET ignored = $3::jsonb WHERE party_type = $1 AND party_id = $2 AND source = 'inline'`, [party, id, JSON.stringify(ignored)]);
  }

  /**
   * A remote source (jwks_uri or discovery): the keys of any previous source are dropped
   * (fail closed) and a fetch is due now. Returns the new version.
   */
  async writeRemoteSource(tx: Sql, party: PartyType, id: string, source: Exclude<KeySource, 'inline'>, configuredUri: string | null): Promise<number> {
    const rows = await tx.rows<{ version: number }>(
      `INSERT INTO registry.party_keys (party_type, party_id, keys, source, jwks_uri, configured_uri, fetched_at, etag, next_refresh_at, last_error, last_error_at)
       VALUES ($1, $2, '{"keys": []}'::jsonb, $3, $4, $4, NULL, NULL, now(), NULL, NULL)
       ON CONFLICT (party_type, party_id) DO UPDATE SET
         keys = EXCLUDED.keys, ignored = '[]'::jsonb, source = EXCLUDED.source, jwks_uri = EXCLUDED.jwks_uri, configured_uri = EXCLUDED.configured_uri,
         fetched_at = NULL, etag = NULL, next_refresh_at = now(), last_error = NULL, last_error_at = NULL,
         version = registry.party_keys.version + 1
       RETURNING version`,
      [party, id, source, configuredUri],
    );
    return rows[0]!.version;
  }

  /** Returns the deleted row's version + 1 (the version of the delete message), or null. */
  async delete(tx: Sql, party: PartyType, id: string): Promise<number | null> {
    const rows = await tx.rows<{ version: number }>(
      `DELETE FROM registry.party_keys WHERE party_type = $1 AND party_id = $2 RETURNING version`,
      [party, id],
    );
    return rows[0] ? rows[0].version + 1 : null;
  }

  async writeFetchOutcome(tx: Sql, party: PartyType, id: string, outcome: FetchOutcome): Promise<StoredPartyKeys> {
    const rows = await tx.rows<StoredPartyKeys>(
      `UPDATE registry.party_keys SET
         keys = $3::jsonb, jwks_uri = $4, fetched_at = $5, etag = $6, next_refresh_at = $7,
         last_error = $8, last_error_at = CASE WHEN $8::text IS NULL THEN last_error_at ELSE now() END,
         last_attempt_at = now(), version = version + $9::int, ignored = $10::jsonb
       WHERE party_type = $1 AND party_id = $2
       RETURNING *`,
      [
        party, id, JSON.stringify(outcome.keys), outcome.jwksUri, outcome.fetchedAt, outcome.etag, outcome.nextRefreshAt, outcome.lastError,
        outcome.keysChanged ? 1 : 0, JSON.stringify(outcome.ignored),
      ],
    );
    return rows[0]!;
  }

  /** Remote-sourced parties whose refresh is due. */
  async findDue(sql: Sql, limit: number): Promise<{ party_type: PartyType; party_id: string }[]> {
    return sql.rows(
      `SELECT party_type, party_id FROM registry.party_keys
       WHERE source <> 'inline' AND (next_refresh_at IS NULL OR next_refresh_at <= now())
       ORDER BY next_refresh_at NULLS FIRST LIMIT $1`,
      [limit],
    );
  }

  /** Where a party's keys are fetched from, as its issuer or client row says now; null when it is gone. */
  async readRemoteSource(sql: Sql, party: PartyType, id: string): Promise<RemoteSource | null> {
    if (party === 'issuer') {
      if (!isUuid(id)) return null;
      const rows = await sql.rows<{ issuer: string; jwks_uri: string | null; discovery: boolean }>(
        `SELECT issuer, jwks_uri, discovery FROM registry.issuers WHERE id = $1`,
        [id],
      );
      const row = rows[0];
      return row ? { name: row.issuer, issuer: row.issuer, discovery: row.discovery, jwksUri: row.jwks_uri } : null;
    }
    const rows = await sql.rows<{ client_id: string; jwks_uri: string | null }>(`SELECT client_id, jwks_uri FROM registry.clients WHERE client_id = $1`, [id]);
    const row = rows[0];
    return row ? { name: row.client_id, issuer: null, discovery: false, jwksUri: row.jwks_uri } : null;
  }
}
