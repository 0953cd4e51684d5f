/**
 * A client's or a trusted issuer's refresh-token families (issue 23). token-service owns
 * them; the registry reads and ends them only through the two functions of its schema that
 * the contract names (`@trust-broker/contracts` token-schema.ts). Enforces:
 * - the client or issuer must exist here (404 otherwise), even when it has no family;
 * - listing shows only usable families (not revoked, not expired), oldest first, paged;
 * - revoking ends every usable family and writes one admin audit event per family ended
 *   (`refresh_tokens_revoked`), in the same transaction: families end if and only if their
 *   events are recorded; token-service refuses them at the next use (it reads the row);
 * - token-service's schema not migrated yet (the function missing) is 503, not a 500.
 */
import { Injectable } from '@nestjs/common';
import { TOKEN_FUNCTIONS, type RefreshFamilyOwnerType, type RefreshFamilySummary, type RevokedRefreshFamily } from '@trust-broker/contracts';
import { ClientsRepository } from '../clients/clients.repository';
import { isUuid, postgresErrorCode, RegistryDatabase, type Sql } from '../database/registry-database';
import { auditContext, type AdminContext } from '../http/admin-request';
import { CREATED_AT_KEY_SQL, toPage, type Page, type PageRequest, type PageRow } from '../http/paging';
import { RequestError } from '../http/request.errors';
import { IssuersRepository } from '../issuers/issuers.repository';
import { recordAdminAudit } from '../outbox/outbox.writer';
import { presentRefreshFamily, type RefreshFamilyResource } from './refresh-families.presenter';
import { RefreshTokensError } from './refresh-tokens.errors';

/** Postgres: the function (42883) or the schema (3F000) does not exist yet. */
const NOT_MIGRATED = new Set(['42883', '3F000']);
const REVOKED_BY_ADMIN = 'revoked_by_admin';

interface Owner {
  type: RefreshFamilyOwnerType;
  id: string;
  /** For the audit events: the client's client_id, or the issuer's `iss`. */
  clientId: string | null;
  issuer: string | null;
}

@Injectable()
export class RefreshTokensService {
  constructor(
    private readonly database: RegistryDatabase,
    private readonly clients: ClientsRepository,
    private readonly issuers: IssuersRepository,
  ) {}

  async list(type: RefreshFamilyOwnerType, id: string, page: PageRequest): Promise<Page<RefreshFamilyResource>> {
    if (page.after && !isUuid(page.after.id)) throw new RequestError('cursor_invalid', 'cursor: not a cursor returned by this list');
    return this.database.transaction(async (tx) => {
      await this.findOwner(tx, type, id);
      const rows = await callTokenFunction(() =>
        tx.rows<PageRow<RefreshFamilySummary>>(
          `SELECT *, ${CREATED_AT_KEY_SQL} AS created_at_key
           FROM ${TOKEN_FUNCTIONS.activeRefreshFamilies}($1, $2, $3::timestamptz, $4::uuid, $5)`,
          [type, id, page.after?.createdAt ?? null, page.after?.id ?? null, page.limit + 1],
        ),
      );
      return toPage(rows, page.limit, (row) => row.id, presentRefreshFamily);
    }, false);
  }

  async revokeAll(type: RefreshFamilyOwnerType, id: string, admin: AdminContext): Promise<{ revoked: number; family_ids: string[] }> {
    return this.database.transaction(async (tx) => {
      const owner = await this.findOwner(tx, type, id);
      const revoked = await callTokenFunction(() =>
        tx.rows<RevokedRefreshFamily>(`SELECT * FROM ${TOKEN_FUNCTIONS.revokeRefreshFamilies}($1, $2, $3)`, [type, id, REVOKED_BY_ADMIN]),
      );
      for (const family of revoked) {
        await recordAdminAudit(tx, {
          ...auditContext(admin),
          action: 'refresh_tokens_revoked',
          client_id: family.client_id ?? owner.clientId,
          issuer: family.issuer,
          details: { refresh_family_id: family.id, subject: family.subject, reason: REVOKED_BY_ADMIN, by: `${type}:${id}` },
        });
      }
      return { revoked: revoked.length, family_ids: revoked.map((family) => family.id) };
    });
  }

  private async findOwner(tx: Sql, type: RefreshFamilyOwnerType, id: string): Promise<Owner> {
    if (type === 'client') {
      const client = await this.clients.find(tx, id);
      if (!client) throw new RefreshTokensError('client_not_found', `no client with client_id ${id.slice(0, 64)}`);
      return { type, id, clientId: client.client_id, issuer: null };
    }
    const issuer = await this.issuers.find(tx, id);
    if (!issuer) throw new RefreshTokensError('issuer_not_found', `no issuer with id ${id.slice(0, 64)}`);
    return { type, id, clientId: null, issuer: issuer.issuer };
  }
}

async function callTokenFunction<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const code = postgresErrorCode(error);
    if (code !== undefined && NOT_MIGRATED.has(code)) throw new RefreshTokensError('token_schema_missing', "token-service's refresh-token schema is not there yet (token-service not migrated)");
    throw error;
  }
}
