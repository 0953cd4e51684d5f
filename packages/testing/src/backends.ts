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
  /** Deletes every key under the prefix. */
  clear(): Promise<void>;
}

/** A fresh Redis key prefix `tbtest-<label>-<random>` on the machine's Redis. */
export function createTestRedisPrefix(label = 'run'): TestRedisPrefix {
  const prefix = `tbtest-${label}-${randomBytes(5).toString('hex')}`;
  return {
    prefix,
    url: TEST_REDIS_URL,
    async clear() {
      const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
      await redis.connect();
      try {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
          cursor = next;
          if (keys.length > 0) await redis.unlink(...keys);
        } while (cursor !== '0');
      } finally {
        redis.disconnect();
      }
    },
  };
}

/** A random 32-byte key, base64: a `KEY_ENCRYPTION_KEY` for tests. */
export function randomKeyEncryptionKey(): string {
  return randomBytes(32).toString('base64');
}
