import { createTestDatabase, type TestDatabase } from '@trust-broker/testing';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createDataSource, ensureDatabaseExists, runMigrationsWithLock } from '../src/database';

class CreateThings1700000000000 implements MigrationInterface {
  name = 'CreateThings1700000000000';
  async up(runner: QueryRunner): Promise<void> {
    // Slow on purpose, so concurrent runners overlap inside the lock.
    await runner.query('SELECT pg_sleep(0.3)');
    await runner.query('CREATE TABLE kit_test.things (id int primary key)');
  }
  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE kit_test.things');
  }
}

describe('runMigrationsWithLock', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('kit');
  });
  afterAll(async () => db.drop());

  it('runs each migration once when several replicas start together', async () => {
    const sources = [0, 1, 2].map(() => createDataSource({ url: db.url, schema: 'kit_test', migrations: [CreateThings1700000000000] }));
    const applied = await Promise.all(sources.map((s) => runMigrationsWithLock(s, 'kit_test')));
    expect(applied.flat()).toEqual(['CreateThings1700000000000']);
    const rows = await sources[0]!.query('SELECT count(*)::int AS n FROM kit_test.migrations');
    expect(rows[0].n).toBe(1);
    await Promise.all(sources.map((s) => s.destroy()));
  });

  it('creates a missing database, and leaves an existing one alone', async () => {
    const url = new URL(db.url);
    url.pathname = `/${db.name}_extra`;
    await ensureDatabaseExists(url.toString());
    await ensureDatabaseExists(url.toString());
    const extra = { ...db, name: `${db.name}_extra` };
    const { Client } = await import('pg');
    const client = new Client({ connectionString: url.toString() });
    await client.connect();
    expect((await client.query('SELECT current_database() AS name')).rows[0].name).toBe(extra.name);
    await client.end();
    const admin = new Client({ connectionString: db.url });
    await admin.connect();
    await admin.query(`DROP DATABASE "${extra.name}" WITH (FORCE)`);
    await admin.end();
  });
});
