/**
 * A chain on a fresh database with the real migrations, for the chain and verify tests,
 * and what an attacker with superuser rights on it does.
 */
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { runMigrationsWithLock } from '@trust-broker/service-kit/database';
import { createTestDatabase, randomKeyEncryptionKey, type TestDatabase } from '@trust-broker/testing';
import { parseKeyEncryptionKey } from '@trust-broker/secrets';
import { AUDIT_SCHEMA, createAuditDataSource } from '../src/audit-chain/audit-data-source';
import { canonicalEvent, chainHash, eventFromRow, prepareEvent, toChainEvent } from '../src/audit-chain/chain-event';
import { ChainVerifier } from '../src/audit-chain/chain-verifier';
import { ChainWriter } from '../src/audit-chain/chain-writer';
import { SigningKeysService, type ActiveSigningKey } from '../src/signing-keys/signing-keys.service';
import { makeEvent } from './fixtures';

export interface Chain {
  db: TestDatabase;
  dataSource: DataSource;
  writer: ChainWriter;
  verifier: ChainVerifier;
  signingKeys: SigningKeysService;
  key: ActiveSigningKey;
  keyEncryptionKey: Buffer;
  sql(text: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  close(): Promise<void>;
}

export async function openChain(label: string, checkpointEvery = 5): Promise<Chain> {
  const db = await createTestDatabase(label);
  const dataSource = createAuditDataSource(db.url, 4);
  await runMigrationsWithLock(dataSource, AUDIT_SCHEMA);
  const keyEncryptionKey = parseKeyEncryptionKey(randomKeyEncryptionKey());
  const signingKeys = new SigningKeysService(dataSource, keyEncryptionKey);
  const key = await signingKeys.loadActiveKey(undefined);
  const superuser = new Client({ connectionString: db.url });
  await superuser.connect();
  return {
    db,
    dataSource,
    signingKeys,
    key,
    keyEncryptionKey,
    writer: new ChainWriter(dataSource, key, checkpointEvery),
    verifier: new ChainVerifier(dataSource, () => signingKeys.trustedKeys(), key),
    sql: (text, params) => superuser.query(text, params),
    async close() {
      await superuser.end();
      await dataSource.destroy();
      await db.drop();
    },
  };
}

export const events = (n: number) => Array.from({ length: n }, () => prepareEvent(toChainEvent(makeEvent())));

/** What an attacker with superuser rights does first: switch the append-only trigger off. */
export async function disableTriggers(chain: Chain): Promise<void> {
  await chain.sql(`ALTER TABLE audit.events DISABLE TRIGGER events_append_only`);
  await chain.sql(`ALTER TABLE audit.checkpoints DISABLE TRIGGER checkpoints_append_only`);
  await chain.sql(`ALTER TABLE audit.verifications DISABLE TRIGGER verifications_append_only`);
}

/** Recomputes hash and prev_hash from `fromSeq` on, as an attacker hiding a change would. */
export async function rehashFrom(chain: Chain, fromSeq: number, prevHash: string): Promise<void> {
  const { rows } = await chain.sql(`SELECT * FROM audit.events WHERE seq >= $1 ORDER BY seq`, [fromSeq]);
  let prev = prevHash;
  for (const row of rows) {
    const hash = chainHash(prev, canonicalEvent(eventFromRow(row as never)));
    await chain.sql(`UPDATE audit.events SET prev_hash = $1, hash = $2 WHERE seq = $3`, [prev, hash, row.seq]);
    prev = hash;
  }
  await chain.sql(`UPDATE audit.chain_head SET hash = $1`, [prev]);
}

