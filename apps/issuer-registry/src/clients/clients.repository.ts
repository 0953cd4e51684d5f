/**
 * SQL over `registry.clients` and `registry.assertion_revocations`: typed rows in, typed
 * rows out. Transactions, secrets (encrypted before they get here) and the rules belong to
 * ClientsService, which passes the transaction's `Sql` (or RegistryDatabase, outside one).
 */
import { Injectable } from '@nestjs/common';
import type { AssertionRevocationRow, ClientRow } from '@trust-broker/contracts';
import type { Sql } from '../database/registry-database';
import { SettingColumns } from '../database/setting-columns';
import { selectPage, type PageRequest, type PageRow } from '../http/paging';

/** The writable settings of a client, all resolved; its secret is written on its own. */
export type ClientSettings = Omit<ClientRow, 'client_id' | 'secret_ciphertext' | 'version' | 'created_at' | 'updated_at'>;

export const CLIENT_SETTINGS = new SettingColumns<ClientSettings>(
  [
    'client_name', 'token_endpoint_auth_method', 'jwks', 'jwks_uri', 'token_endpoint_auth_signing_alg', 'grant_types',
    'scope', 'client_assertion_reuse', 'client_assertion_max_lifetime_s', 'access_token_ttl_s', 'status', 'introspection_audiences',
    'federated_credentials',
  ],
  new Set(['jwks', 'federated_credentials']),
);

/** A revocation as stored: `seq` (bigint, as text) is the version of its trust change. */
export type RevocationRow = AssertionRevocationRow & { seq: string };

@Injectable()
export class ClientsRepository {
  /** The new row, or null when the client_id is registered already. */
  async insert(tx: Sql, clientId: string, secretCiphertext: string | null, settings: ClientSettings): Promise<ClientRow | null> {
    const rows = await tx.rows<ClientRow>(
      `INSERT INTO registry.clients (client_id, secret_ciphertext, ${CLIENT_SETTINGS.list}) VALUES ($1, $2, ${CLIENT_SETTINGS.placeholders(3)})
       ON CONFLICT (client_id) DO NOTHING RETURNING *`,
      [clientId, secretCiphertext, ...CLIENT_SETTINGS.params(settings)],
    );
    return rows[0] ?? null;
  }

  /** Null for an unknown client_id; `forUpdate` locks the row for the transaction. */
  async find(sql: Sql, clientId: string, forUpdate = false): Promise<ClientRow | null> {
    const rows = await sql.rows<ClientRow>(`SELECT * FROM registry.clients WHERE client_id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [clientId]);
    return rows[0] ?? null;
  }

  /** Oldest first; `limit + 1` rows, so the caller knows whether a next page exists. */
  async page(sql: Sql, page: PageRequest): Promise<PageRow<ClientRow>[]> {
    return selectPage<ClientRow>(sql, { table: 'registry.clients', id: 'client_id', idType: 'text' }, page);
  }

  /** Writes every setting and the secret (null: none) and bumps `version`; the caller holds the row's lock. */
  async update(tx: Sql, clientId: string, secretCiphertext: string | null, settings: ClientSettings): Promise<ClientRow> {
    const rows = await tx.rows<ClientRow>(
      `UPDATE registry.clients SET ${CLIENT_SETTINGS.assignments(3)}, secret_ciphertext = $2, version = version + 1, updated_at = now()
       WHERE client_id = $1 RETURNING *`,
      [clientId, secretCiphertext, ...CLIENT_SETTINGS.params(settings)],
    );
    return rows[0]!;
  }

  /** A new secret only, `version` bumped. */
  async updateSecret(tx: Sql, clientId: string, secretCiphertext: string): Promise<ClientRow> {
    const rows = await tx.rows<ClientRow>(
      `UPDATE registry.clients SET secret_ciphertext = $2, version = version + 1, updated_at = now() WHERE client_id = $1 RETURNING *`,
      [clientId, secretCiphertext],
    );
    return rows[0]!;
  }

  async delete(tx: Sql, clientId: string): Promise<void> {
    await tx.rows(`DELETE FROM registry.clients WHERE client_id = $1`, [clientId]);
  }

  /** The new revocation (exactly one of `jti`, `kid`), or null when the same one exists. */
  async insertRevocation(tx: Sql, clientId: string, by: { jti: string | null; kid: string | null }): Promise<RevocationRow | null> {
    const rows = await tx.rows<RevocationRow>(
      `INSERT INTO registry.assertion_revocations (client_id, jti, kid) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING *`,
      [clientId, by.jti, by.kid],
    );
    return rows[0] ?? null;
  }
}
