/**
 * SQL over `registry.issuers`: typed rows in, typed rows out. Transactions and the rules
 * belong to IssuersService, which passes the transaction's `Sql` (or RegistryDatabase,
 * outside one).
 */
import { Injectable } from '@nestjs/common';
import type { IssuerRow } from '@trust-broker/contracts';
import { isUuid, type Sql } from '../database/registry-database';
import { SettingColumns } from '../database/setting-columns';
import { selectPage, type PageRequest, type PageRow } from '../http/paging';

/** The writable settings of an issuer, all resolved (`expires_at` as given, or as read). */
export type IssuerSettings = Omit<IssuerRow, 'id' | 'version' | 'created_at' | 'updated_at' | 'expires_at'> & { expires_at: string | Date | null };

export const ISSUER_SETTINGS = new SettingColumns<IssuerSettings>(
  [
    'issuer', 'display_name', 'status', 'expires_at', 'jwks', 'jwks_uri', 'discovery', 'allowed_algorithms', 'subjects',
    'condition', 'claim_mappings', 'allowed_scopes', 'audiences', 'max_assertion_lifetime_s', 'clock_skew_s',
    'require_jti', 'require_client_auth', 'allowed_client_ids', 'access_token_ttl_s', 'subject_from_issuer',
    'refresh_tokens', 'refresh_token_ttl_s', 'accepted_audiences',
  ],
  new Set(['jwks', 'claim_mappings']),
);

@Injectable()
export class IssuersRepository {
  /** The new row, or null when its `issuer` is registered already. */
  async insert(tx: Sql, settings: IssuerSettings): Promise<IssuerRow | null> {
    const rows = await tx.rows<IssuerRow>(
      `INSERT INTO registry.issuers (${ISSUER_SETTINGS.list}) VALUES (${ISSUER_SETTINGS.placeholders(1)})
       ON CONFLICT (issuer) DO NOTHING RETURNING *`,
      ISSUER_SETTINGS.params(settings),
    );
    return rows[0] ?? null;
  }

  /** Null for an unknown id (or one that is not a uuid); `forUpdate` locks the row for the transaction. */
  async find(sql: Sql, id: string, forUpdate = false): Promise<IssuerRow | null> {
    if (!isUuid(id)) return null;
    const rows = await sql.rows<IssuerRow>(`SELECT * FROM registry.issuers WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [id]);
    return rows[0] ?? null;
  }

  /** Oldest first; `limit + 1` rows, so the caller knows whether a next page exists. */
  async page(sql: Sql, page: PageRequest): Promise<PageRow<IssuerRow>[]> {
    return selectPage<IssuerRow>(sql, { table: 'registry.issuers', id: 'id', idType: 'uuid' }, page);
  }

  /** True when another issuer than `exceptId` has this `iss`. */
  async isTaken(sql: Sql, issuer: string, exceptId: string): Promise<boolean> {
    const rows = await sql.rows(`SELECT 1 FROM registry.issuers WHERE issuer = $1 AND id <> $2`, [issuer, exceptId]);
    return rows.length > 0;
  }

  /** The subset of these `iss` values that are registered issuers. */
  async registered(sql: Sql, issuers: readonly string[]): Promise<Set<string>> {
    const rows = await sql.rows<{ issuer: string }>(`SELECT issuer FROM registry.issuers WHERE issuer = ANY($1::text[])`, [issuers]);
    return new Set(rows.map((row) => row.issuer));
  }

  /** Writes every setting and bumps `version`; the row must exist (the caller holds its lock). */
  async update(tx: Sql, id: string, settings: IssuerSettings): Promise<IssuerRow> {
    const rows = await tx.rows<IssuerRow>(
      `UPDATE registry.issuers SET ${ISSUER_SETTINGS.assignments(2)}, version = version + 1, updated_at = now()
       WHERE id = $1 RETURNING *`,
      [id, ...ISSUER_SETTINGS.params(settings)],
    );
    return rows[0]!;
  }

  async delete(tx: Sql, id: string): Promise<void> {
    await tx.rows(`DELETE FROM registry.issuers WHERE id = $1`, [id]);
  }
}
