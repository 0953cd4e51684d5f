/**
 * The real stores the token service's specs run against: a fresh database with the token
 * schema migrated (as the service migrates it at start), and a fresh Redis prefix with a
 * request connection; `close` removes both.
 */
import type Redis from 'ioredis';
import type { DataSource } from 'typeorm';
import { createDataSource, runMigrationsWithLock } from '@trust-broker/service-kit/database';
import { createRedis, waitForRedis } from '@trust-broker/service-kit/redis';
import { createTestDatabase, createTestRedisPrefix, type TestDatabase, type TestRedisPrefix } from '@trust-broker/testing';
import { TOKEN_MIGRATIONS, TOKEN_SCHEMA } from '../../src/migrations';

export interface TokenStores {
  database: TestDatabase;
  dataSource: DataSource;
  prefix: TestRedisPrefix;
  redis: Redis;
  close(): Promise<void>;
}

export async function openTokenStores(label: string): Promise<TokenStores> {
  const database = await createTestDatabase(label);
  const dataSource = createDataSource({ url: database.url, schema: TOKEN_SCHEMA, migrations: TOKEN_MIGRATIONS });
  await runMigrationsWithLock(dataSource, TOKEN_SCHEMA);
  const prefix = createTestRedisPrefix(label);
  const redis = createRedis(prefix.url, 'request');
  await waitForRedis(redis);
  return {
    database,
    dataSource,
    prefix,
    redis,
    async close() {
      redis.disconnect();
      await prefix.clear();
      await dataSource.destroy();
      await database.drop();
    },
  };
}
