import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import { createDataSource } from '@trust-broker/service-kit/database';
import { createRedis } from '@trust-broker/service-kit/redis';
import { getFreePort } from '@trust-broker/testing';
import { openTokenStores, type TokenStores } from '../../test/support/token-stores';
import { TOKEN_SCHEMA } from '../migrations';
import { RevocationStore } from './revocation-store.service';

describe('RevocationStore (real Redis and Postgres)', () => {
  let stores: TokenStores;
  let store: RevocationStore;
  const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

  beforeAll(async () => {
    Logger.overrideLogger(['error']);
    stores = await openTokenStores('revocations');
    store = new RevocationStore({ redisPrefix: stores.prefix.prefix }, stores.redis, stores.dataSource);
    await store.onModuleInit();
  });

  afterAll(async () => {
    store.onModuleDestroy();
    await stores.close();
  });

  it('marks a jti revoked in Redis, expiring with the token, and in Postgres', async () => {
    const jti = randomUUID();
    const exp = inAnHour();
    expect(await store.isRevoked(jti)).toBe(false);
    await store.revoke({ jti, expiresAt: exp, clientId: 'c1' });
    expect(await store.isRevoked(jti)).toBe(true);
    const expireAtMs = await stores.redis.pexpiretime(`${stores.prefix.prefix}:revoked:${jti}`);
    expect(expireAtMs).toBeGreaterThanOrEqual(exp * 1000);
    expect(expireAtMs).toBeLessThanOrEqual(exp * 1000 + 60_000);
    const rows = await stores.dataSource.query('SELECT jti, client_id, extract(epoch FROM expires_at)::bigint AS exp FROM token.revoked_tokens WHERE jti = $1', [jti]);
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
    await stores.prefix.clear(); // as if Redis restarted without persistence
    expect(await store.isRevoked(jti)).toBe(true);
    expect(await store.isRevoked(randomUUID())).toBe(false);
    await store.resyncIfLost();
    expect(await stores.redis.exists(`${stores.prefix.prefix}:revoked:${jti}`)).toBe(1);
  });

  it('purges expired revocations when it refills Redis', async () => {
    const jti = randomUUID();
    await stores.dataSource.query(`INSERT INTO token.revoked_tokens (jti, expires_at) VALUES ($1, now() - interval '1 hour')`, [jti]);
    await stores.prefix.clear();
    await store.resyncIfLost();
    expect(await stores.dataSource.query('SELECT 1 FROM token.revoked_tokens WHERE jti = $1', [jti])).toHaveLength(0);
    expect(await stores.redis.exists(`${stores.prefix.prefix}:revoked:${jti}`)).toBe(0);
  });

  describe('with Redis unreachable', () => {
    let deadRedis: Redis;
    let degraded: RevocationStore;

    beforeAll(async () => {
      deadRedis = createRedis(`redis://127.0.0.1:${await getFreePort()}`, 'request');
      deadRedis.on('error', () => undefined);
      degraded = new RevocationStore({ redisPrefix: stores.prefix.prefix }, deadRedis, stores.dataSource);
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
      const blind = new RevocationStore({ redisPrefix: stores.prefix.prefix }, deadRedis, deadDatabase);
      await expect(blind.isRevoked(randomUUID())).rejects.toMatchObject({ code: 'revocation_store_unavailable' });
    });
  });
});
