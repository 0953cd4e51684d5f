/**
 * The built process (`node dist/main.js`, built by `turbo run test`'s build step):
 * migrate-and-exit, config errors that name the variable, and the outbox surviving a
 * SIGKILL between the database commit and the relay to Redis.
 */
import { join } from 'node:path';
import {
  createTestDatabase,
  createTestRedisPrefix,
  eventually,
  randomKeyEncryptionKey,
  startNodeProcess,
  type RunningProcess,
  type TestDatabase,
  type TestRedisPrefix,
} from '@trust-broker/testing';
import { Client } from 'pg';
import { readAuditEvents } from './support/audit-queue-reader';
import { ADMIN_KEY } from './support/registry-harness';
import { publicJwk } from './support/test-keys';
import { listenForTrustChanges } from './support/trust-change-listener';

jest.setTimeout(120_000);

const MAIN = join(__dirname, '..', 'dist', 'main.js');

let database: TestDatabase;
let redis: TestRedisPrefix;
let pg: Client;
const running: RunningProcess[] = [];

beforeAll(async () => {
  database = await createTestDatabase('process');
  redis = createTestRedisPrefix('process');
  pg = new Client({ connectionString: database.url });
  await pg.connect();
});

afterAll(async () => {
  for (const process of running) await process.kill();
  await pg?.end();
  await redis?.clear();
  await database?.drop();
});

function baseEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    DATABASE_URL: database.url,
    REDIS_URL: redis.url,
    REDIS_PREFIX: redis.prefix,
    ADMIN_API_KEY: ADMIN_KEY,
    KEY_ENCRYPTION_KEY: randomKeyEncryptionKey(),
    ISSUER_REGISTRY_PORT: '0',
    // The start lines this test reads ("listening on", migrations) are at level info.
    LOG_LEVEL: 'info',
    OUTBOX_POLL_INTERVAL_MS: '200',
    ...extra,
  };
}

async function exitOf(process: RunningProcess): Promise<number | null> {
  await new Promise<void>((resolve) => {
    if (process.child.exitCode !== null) resolve();
    else process.child.once('exit', () => resolve());
  });
  return process.child.exitCode;
}

async function serve(env: Record<string, string>): Promise<{ process: RunningProcess; url: string }> {
  const process = startNodeProcess(MAIN, env);
  running.push(process);
  const url = await eventually(async () => /issuer-registry listening on (\S+)/.exec(process.output())?.[1], 30000);
  return { process, url };
}

describe('node dist/main.js', () => {
  it('migrate: runs the migrations and exits 0', async () => {
    const process = startNodeProcess(MAIN, baseEnv(), ['migrate']);
    expect(await exitOf(process)).toBe(0);
    expect(process.output()).toContain('applied CreateRegistrySchema');
    const tables = await pg.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'registry' ORDER BY 1`);
    expect(tables.rows.map((r: { table_name: string }) => r.table_name)).toEqual(['assertion_revocations', 'clients', 'issuers', 'migrations', 'outbox', 'party_keys']);
    const again = startNodeProcess(MAIN, baseEnv(), ['migrate']);
    expect(await exitOf(again)).toBe(0);
    expect(again.output()).toContain('up to date');
  });

  it.each([
    ['a bad port', { ISSUER_REGISTRY_PORT: 'eighty' }, ['ISSUER_REGISTRY_PORT']],
    ['a short key-encryption key', { KEY_ENCRYPTION_KEY: 'c2hvcnQ=' }, ['KEY_ENCRYPTION_KEY']],
    ['a bad boolean', { OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'maybe' }, ['OUTBOUND_ALLOW_PRIVATE_NETWORKS']],
    ['a bad database URL', { DATABASE_URL: 'mysql://x' }, ['DATABASE_URL']],
    ['production without credentials', { NODE_ENV: 'production', ADMIN_API_KEY: '', KEY_ENCRYPTION_KEY: '' }, ['ADMIN_API_KEY', 'KEY_ENCRYPTION_KEY']],
  ])('stops with a message naming the variable for %s', async (_label, env, names) => {
    const process = startNodeProcess(MAIN, baseEnv(env as Record<string, string>));
    expect(await exitOf(process)).toBe(1);
    for (const name of names) expect(process.output()).toMatch(new RegExp(`${name}: (required when NODE_ENV=production|must|expected|Invalid)`));
    expect(process.output()).not.toContain('listening');
  });

  it('generates an admin key and a key-encryption key, loudly, when a local run has none', async () => {
    const { process } = await serve(baseEnv({ ADMIN_API_KEY: '', KEY_ENCRYPTION_KEY: '' }));
    expect(process.output()).toMatch(/ADMIN_API_KEY not set: generated one for this run: \S{43}/);
    expect(process.output()).toMatch(/WARNING: KEY_ENCRYPTION_KEY not set.*WILL NOT DECRYPT after a restart/);
    await process.stop();
  });

  it('delivers the outbox after a crash between commit and relay', async () => {
    const changes = await listenForTrustChanges(redis.prefix);
    try {
      // 1. A registry whose relay is stopped: the change commits, nothing reaches Redis.
      const first = await serve(baseEnv({ OUTBOX_RELAY_ENABLED: 'false' }));
      const created = await fetch(`${first.url}/v1/issuers`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ issuer: 'https://crash.example.com', subjects: ['*'], jwks: { keys: [await publicJwk('crash')] } }),
      });
      expect(created.status).toBe(201);
      const { id } = (await created.json()) as { id: string };
      const pending = await pg.query(`SELECT kind FROM registry.outbox ORDER BY id`);
      expect(pending.rows.map((r: { kind: string }) => r.kind).sort()).toEqual(['audit', 'trust_change', 'trust_change']);

      // 2. SIGKILL: no shutdown hook runs.
      await first.process.kill('SIGKILL');
      expect(changes.messages).toEqual([]);
      expect((await readAuditEvents(redis.prefix)).filter((a) => a.event.issuer === 'https://crash.example.com')).toEqual([]);

      // 3. A restarted registry relays what the dead one committed.
      const second = await serve(baseEnv());
      await eventually(async () => changes.messages.some((m) => m.entity === 'issuer' && m.id === id && m.op === 'upsert'), 15000);
      await eventually(async () => changes.messages.some((m) => m.entity === 'issuer_keys' && m.id === id), 15000);
      const audit = await eventually(async () => (await readAuditEvents(redis.prefix)).find((a) => a.event.issuer === 'https://crash.example.com'), 15000);
      expect(audit.event).toMatchObject({ type: 'admin', action: 'created', outcome: 'success' });
      await eventually(async () => (await pg.query(`SELECT 1 FROM registry.outbox`)).rowCount === 0, 15000);
      await second.process.stop();
    } finally {
      await changes.close();
    }
  });
});
