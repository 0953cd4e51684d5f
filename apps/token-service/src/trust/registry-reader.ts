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

export interface RegistrySnapshot {
  issuers: IssuerRow[];
  clients: ClientRow[];
  partyKeys: PartyKeysSnapshot[];
  revocations: RevocationSnapshot[];
}

// pg returns bigint columns as strings; versions and lifetimes are compared as numbers.
function normaliseIssuer(row: IssuerRow): IssuerRow {
  return {
    ...row,
    version: Number(row.version),
    max_assertion_lifetime_s: Number(row.max_assertion_lifetime_s),
    clock_skew_s: Number(row.clock_skew_s),
    access_token_ttl_s: Number(row.access_token_ttl_s),
    allowed_algorithms: row.allowed_algorithms ?? [],
    subjects: row.subjects ?? [],
    allowed_scopes: row.allowed_scopes ?? [],
    audiences: row.audiences ?? [],
    allowed_client_ids: row.allowed_client_ids ?? [],
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
  };
}

function normaliseKeys(row: PartyKeysSnapshot): PartyKeysSnapshot {
  return { ...row, version: Number(row.version) };
}

export async function readSnapshot(db: DataSource): Promise<RegistrySnapshot> {
  // One transaction, REPEATABLE READ: the four tables seen at one instant.
  return db.transaction('REPEATABLE READ', async (manager) => {
    const issuers: IssuerRow[] = await manager.query(`SELECT * FROM ${REGISTRY_TABLES.issuers}`);
    const clients: ClientRow[] = await manager.query(`SELECT * FROM ${REGISTRY_TABLES.clients}`);
    const partyKeys: PartyKeysSnapshot[] = await manager.query(
      `SELECT party_type, party_id, keys, version FROM ${REGISTRY_TABLES.partyKeys}`,
    );
    const revocations: RevocationSnapshot[] = await manager.query(
      `SELECT client_id, jti, kid FROM ${REGISTRY_TABLES.assertionRevocations}`,
    );
    return {
      issuers: issuers.map(normaliseIssuer),
      clients: clients.map(normaliseClient),
      partyKeys: partyKeys.map(normaliseKeys),
      revocations,
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
