import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import type { DataSource } from 'typeorm';
import { createDataSource, runMigrationsWithLock } from '@trust-broker/service-kit/database';
import { createRedis, waitForRedis } from '@trust-broker/service-kit/redis';
import { createTestDatabase, createTestRedisPrefix, getFreePort, type TestDatabase, type TestRedisPrefix } from '@trust-broker/testing';
import { TOKEN_MIGRATIONS, TOKEN_SCHEMA } from '../migrations';
import { RevocationStore } from './revocation-store.service';

describe('RevocationStore (real Redis and Postgres)', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let prefix: TestRedisPrefix;
  let redis: Redis;
  let store: RevocationStore;
  const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

  beforeAll(async () => {
    Logger.overrideLogger(['error']);
    database = await createTestDatabase('revocations');
    dataSource = createDataSource({ url: database.url, schema: TOKEN_SCHEMA, migrations: TOKEN_MIGRATIONS });
    await runMigrationsWithLock(dataSource, TOKEN_SCHEMA);
    prefix = createTestRedisPrefix('revocations');
    redis = createRedis(prefix.url, 'request');
    await waitForRedis(redis);
    store = new RevocationStore({ redisPrefix: prefix.prefix }, redis, dataSource);
    await store.onModuleInit();
  });

  afterAll(async () => {
    store.onModuleDestroy();
    redis.disconnect();
    await prefix.clear();
    await dataSource.destroy();
    await database.drop();
  });

  it('marks a jti revoked in Redis, expiring with the token, and in Postgres', async () => {
    const jti = randomUUID();
    const exp = inAnHour();
    expect(await store.isRevoked(jti)).toBe(false);
    await store.revoke({ jti, expiresAt: exp, clientId: 'c1' });
    expect(await store.isRevoked(jti)).toBe(true);
    const expireAtMs = await redis.pexpiretime(`${prefix.prefix}:revoked:${jti}`);
    expect(expireAtMs).toBeGreaterThanOrEqual(exp * 1000);
    expect(expireAtMs).toBeLessThanOrEqual(exp * 1000 + 60_000);
    const rows = await dataSource.query('SELECT jti, client_id, extract(epoch FROM expires_at)::bigint AS exp FROM token.revoked_tokens WHERE jti = $1', [jti]);
    expect(rows).toEqual([{ jti, client_id: 'c1', exp: String(exp) }]);
  });

  it('revoking twice is harmless', async () => {
    const jti = randomUUID();
    await store.revoke({ jti, expiresAt: inAnHour(), clientId: 'c1' });
    await store.revoke({ jti, expiresAt: inAnHour(), clientId: 'c1' });
    expect(await store.isRevoked(jti)).toBe(true);
  });

  it('a Redis that lost its data answers from Postgres at once and is refilled', async () => {
    const jti = randomUUID();
    await store.revoke({ jti, expiresAt: inAnHour(), clientId: 'c1' });
    await prefix.clear(); // as if Redis restarted without persistence
    expect(await store.isRevoked(jti)).toBe(true);
    expect(await store.isRevoked(randomUUID())).toBe(false);
    await store.resyncIfLost();
    expect(await redis.exists(`${prefix.prefix}:revoked:${jti}`)).toBe(1);
  });

  it('purges expired revocations when it refills Redis', async () => {
    const jti = randomUUID();
    await dataSource.query(`INSERT INTO token.revoked_tokens (jti, expires_at) VALUES ($1, now() - interval '1 hour')`, [jti]);
    await prefix.clear();
    await store.resyncIfLost();
    expect(await dataSource.query('SELECT 1 FROM token.revoked_tokens WHERE jti = $1', [jti])).toHaveLength(0);
    expect(await redis.exists(`${prefix.prefix}:revoked:${jti}`)).toBe(0);
  });

  describe('with Redis unreachable', () => {
    let deadRedis: Redis;
    let degraded: RevocationStore;

    beforeAll(async () => {
      deadRedis = createRedis(`redis://127.0.0.1:${await getFreePort()}`, 'request');
      deadRedis.on('error', () => undefined);
      degraded = new RevocationStore({ redisPrefix: prefix.prefix }, deadRedis, dataSource);
    });

    afterAll(() => deadRedis.disconnect());

    it('checks Postgres instead (fail closed: a revoked token stays revoked)', async () => {
      const jti = randomUUID();
      await store.revoke({ jti, expiresAt: inAnHour(), clientId: 'c1' });
      expect(await degraded.isRevoked(jti)).toBe(true);
      expect(await degraded.isRevoked(randomUUID())).toBe(false);
    });

    it('refuses to revoke (the caller answers 503 and the client retries)', async () => {
      await expect(degraded.revoke({ jti: randomUUID(), expiresAt: inAnHour(), clientId: 'c1' })).rejects.toMatchObject({
        code: 'revocation_store_unavailable',
      });
    });

    it('throws when Postgres does not answer either', async () => {
      const deadDatabase = createDataSource({ url: `postgres://postgres@127.0.0.1:${await getFreePort()}/none`, schema: TOKEN_SCHEMA, migrations: [] });
      const blind = new RevocationStore({ redisPrefix: prefix.prefix }, deadRedis, deadDatabase);
      await expect(blind.isRevoked(randomUUID())).rejects.toMatchObject({ code: 'revocation_store_unavailable' });
    });
  });
});
