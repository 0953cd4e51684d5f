/**
 * Reads the registry's tables (owned by issuer-registry; shapes in
 * @trust-broker/contracts registry-schema.ts) with raw, schema-qualified SQL. Read-only:
 * token-service never writes trust data.
 */
import type { DataSource } from 'typeorm';
import {
  REGISTRY_TABLES,
  type AssertionRevocationRow,
  type ClientRow,
  type IssuerRow,
  type PartyKeysRow,
} from '@trust-broker/contracts';
import type { PartyType } from './trust.types';

export type PartyKeysSnapshot = Pick<PartyKeysRow, 'party_type' | 'party_id' | 'keys' | 'version'>;
export type RevocationSnapshot = Pick<AssertionRevocationRow, 'client_id' | 'jti' | 'kid'>;

/** Every row's version, read to find what changed since the cache was built (the periodic reconcile). */
export interface RegistryVersions {
  /** issuer id → row version. */
  issuers: Map<string, number>;
  /** client_id → row version. */
  clients: Map<string, number>;
  /** `${party_type}:${party_id}` → key set version. */
  partyKeys: Map<string, number>;
  /** client_id → `${count}:${max seq}` of its assertion revocations (seq only grows). */
  revocations: Map<string, string>;
}

/** The full rows of the parties a reconcile rebuilds. */
export interface RegistryRows {
  issuers: IssuerRow[];
  clients: ClientRow[];
  partyKeys: PartyKeysSnapshot[];
  revocations: RevocationSnapshot[];
}

/** The parties whose full rows (with their keys and revocations) a reconcile must read. */
export interface StaleParties {
  issuerIds: string[];
  clientIds: string[];
}

// pg returns bigint columns as strings; versions and lifetimes are compared as numbers.
function normaliseIssuer(row: IssuerRow): IssuerRow {
  return {
    ...row,
    version: Number(row.version),
    max_assertion_lifetime_s: Number(row.max_assertion_lifetime_s),
    clock_skew_s: Number(row.clock_skew_s),
    access_token_ttl_s: Number(row.access_token_ttl_s),
    // A registry older than its migration has neither column: no refresh tokens.
    refresh_tokens: row.refresh_tokens === true,
    refresh_token_ttl_s: Number(row.refresh_token_ttl_s ?? 86_400),
    allowed_algorithms: row.allowed_algorithms ?? [],
    subjects: row.subjects ?? [],
    allowed_scopes: row.allowed_scopes ?? [],
    audiences: row.audiences ?? [],
    allowed_client_ids: row.allowed_client_ids ?? [],
    // NULL stays NULL: it means `[BROKER_ISSUER]`, this process's own (CachedPartyBuilder).
    accepted_audiences: row.accepted_audiences ?? null,
  };
}

function normaliseClient(row: ClientRow): ClientRow {
  return {
    ...row,
    version: Number(row.version),
    client_assertion_max_lifetime_s: Number(row.client_assertion_max_lifetime_s),
    access_token_ttl_s: Number(row.access_token_ttl_s ?? 600),
    grant_types: row.grant_types ?? [],
    scope: row.scope ?? '',
    // NULL: a row written before the column had a value (CONTRACT.md default: its own client_id).
    introspection_audiences: row.introspection_audiences ?? [row.client_id],
    federated_credentials: row.federated_credentials ?? null,
  };
}

function normaliseKeys(row: PartyKeysSnapshot): PartyKeysSnapshot {
  return { ...row, version: Number(row.version) };
}

/**
 * One REPEATABLE READ transaction (the four tables seen at one instant): every row's
 * version first, then the full rows of just the parties `selectStale` names. With 10,000
 * issuers, an unchanged registry costs four narrow scans instead of re-reading (and
 * re-parsing) every row and key set.
 */
export async function readChangedRows(
  db: DataSource,
  selectStale: (versions: RegistryVersions) => StaleParties,
): Promise<{ versions: RegistryVersions; rows: RegistryRows }> {
  return db.transaction('REPEATABLE READ', async (manager) => {
    const issuerVersions: { id: string; version: number }[] = await manager.query(`SELECT id::text AS id, version FROM ${REGISTRY_TABLES.issuers}`);
    const clientVersions: { client_id: string; version: number }[] = await manager.query(`SELECT client_id, version FROM ${REGISTRY_TABLES.clients}`);
    const keyVersions: { party: string; version: number }[] = await manager.query(
      `SELECT party_type || ':' || party_id AS party, version FROM ${REGISTRY_TABLES.partyKeys}`,
    );
    const revocationMarks: { client_id: string; mark: string }[] = await manager.query(
      `SELECT client_id, count(*) || ':' || max(seq) AS mark FROM ${REGISTRY_TABLES.assertionRevocations} GROUP BY client_id`,
    );
    const versions: RegistryVersions = {
      issuers: new Map(issuerVersions.map((row) => [row.id, Number(row.version)])),
      clients: new Map(clientVersions.map((row) => [row.client_id, Number(row.version)])),
      partyKeys: new Map(keyVersions.map((row) => [row.party, Number(row.version)])),
      revocations: new Map(revocationMarks.map((row) => [row.client_id, row.mark])),
    };
    const { issuerIds, clientIds } = selectStale(versions);
    const issuers: IssuerRow[] =
      issuerIds.length > 0 ? await manager.query(`SELECT * FROM ${REGISTRY_TABLES.issuers} WHERE id = ANY($1::uuid[])`, [issuerIds]) : [];
    const clients: ClientRow[] =
      clientIds.length > 0 ? await manager.query(`SELECT * FROM ${REGISTRY_TABLES.clients} WHERE client_id = ANY($1::text[])`, [clientIds]) : [];
    const partyKeys: PartyKeysSnapshot[] =
      issuerIds.length + clientIds.length > 0
        ? await manager.query(
            `SELECT party_type, party_id, keys, version FROM ${REGISTRY_TABLES.partyKeys}
             WHERE (party_type = 'issuer' AND party_id = ANY($1::text[])) OR (party_type = 'client' AND party_id = ANY($2::text[]))`,
            [issuerIds, clientIds],
          )
        : [];
    const revocations: RevocationSnapshot[] =
      clientIds.length > 0
        ? await manager.query(`SELECT client_id, jti, kid FROM ${REGISTRY_TABLES.assertionRevocations} WHERE client_id = ANY($1::text[])`, [clientIds])
        : [];
    return {
      versions,
      rows: { issuers: issuers.map(normaliseIssuer), clients: clients.map(normaliseClient), partyKeys: partyKeys.map(normaliseKeys), revocations },
    };
  });
}

export async function readIssuer(db: DataSource, id: string): Promise<IssuerRow | undefined> {
  const rows: IssuerRow[] = await db.query(`SELECT * FROM ${REGISTRY_TABLES.issuers} WHERE id::text = $1`, [id]);
  return rows[0] ? normaliseIssuer(rows[0]) : undefined;
}

export async function readClient(db: DataSource, clientId: string): Promise<ClientRow | undefined> {
  const rows: ClientRow[] = await db.query(`SELECT * FROM ${REGISTRY_TABLES.clients} WHERE client_id = $1`, [clientId]);
  return rows[0] ? normaliseClient(rows[0]) : undefined;
}

export async function readPartyKeys(db: DataSource, party: PartyType, id: string): Promise<PartyKeysSnapshot | undefined> {
  const rows: PartyKeysSnapshot[] = await db.query(
    `SELECT party_type, party_id, keys, version FROM ${REGISTRY_TABLES.partyKeys} WHERE party_type = $1 AND party_id = $2`,
    [party, id],
  );
  return rows[0] ? normaliseKeys(rows[0]) : undefined;
}

export async function readRevocations(db: DataSource, clientId: string): Promise<RevocationSnapshot[]> {
  return db.query(`SELECT client_id, jti, kid FROM ${REGISTRY_TABLES.assertionRevocations} WHERE client_id = $1`, [clientId]);
}
