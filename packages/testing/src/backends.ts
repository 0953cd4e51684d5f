/**
 * A fresh Postgres database and a fresh Redis key prefix per test run, on the machine's
 * real engines, so runs never see each other's data.
 */
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import Redis from 'ioredis';

export const TEST_POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** Creates a fresh, empty database `tb_test_<label>_<random>` and returns its URL. */
export async function createTestDatabase(label = 'run'): Promise<TestDatabase> {
  const name = `tb_test_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomBytes(5).toString('hex')}`;
  const admin = new Client({ connectionString: TEST_POSTGRES_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    async drop() {
      const c = new Client({ connectionString: TEST_POSTGRES_URL });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

export interface TestRedisPrefix {
  prefix: string;
  url: string;
  /** Every key under the prefix that matches `pattern` (glob, after the prefix; default all). */
  keys(pattern?: string): Promise<string[]>;
  /** Deletes every key under the prefix. */
  clear(): Promise<void>;
}

/**
 * Every key of `redis` that matches `pattern`. SCAN walks the whole keyspace: one call sees
 * only a slice of it (COUNT is a hint), so on the shared Redis, full of other runs' keys,
 * only a walk to the end of the cursor finds them all.
 */
export async function scanKeys(redis: Redis, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return keys;
}

/** A fresh Redis key prefix `tbtest-<label>-<random>` on the machine's Redis. */
export function createTestRedisPrefix(label = 'run'): TestRedisPrefix {
  const prefix = `tbtest-${label}-${randomBytes(5).toString('hex')}`;
  async function withRedis<T>(use: (redis: Redis) => Promise<T>): Promise<T> {
    const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    try {
      return await use(redis);
    } finally {
      redis.disconnect();
    }
  }
  return {
    prefix,
    url: TEST_REDIS_URL,
    keys: (pattern = '*') => withRedis((redis) => scanKeys(redis, `${prefix}${pattern}`)),
    clear: () =>
      withRedis(async (redis) => {
        const keys = await scanKeys(redis, `${prefix}*`);
        for (let i = 0; i < keys.length; i += 1000) await redis.unlink(...keys.slice(i, i + 1000));
      }),
  };
}

/** A random 32-byte key, base64: a `KEY_ENCRYPTION_KEY` for tests. */
export function randomKeyEncryptionKey(): string {
  return randomBytes(32).toString('base64');
}
