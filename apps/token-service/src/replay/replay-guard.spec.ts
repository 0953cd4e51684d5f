/**
 * Replay-store loss detection on a redis-server of this test's own (it is flushed,
 * restarted empty and rolled back) and the real Postgres: an unexpired assertion used
 * before the loss must not be accepted again after it.
 */
import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import type { DataSource } from 'typeorm';
import { createDataSource, runMigrationsWithLock } from '@trust-broker/service-kit/database';
import { createRedis, waitForRedis } from '@trust-broker/service-kit/redis';
import { createTestDatabase, OwnRedisServer, type TestDatabase } from '@trust-broker/testing';
import type { TokenServiceConfig } from '../config/token-service.config';
import { TOKEN_MIGRATIONS, TOKEN_SCHEMA } from '../migrations';
import { ReplayGuardService } from './replay-guard.service';
import { epochKey, replayKeys } from './replay-keys';

jest.setTimeout(60_000);

/** Each test is a deployment of its own: its own prefix (and row in token.replay_stores). */
let PREFIX = '';
let database: TestDatabase;
let dataSource: DataSource;
let server: OwnRedisServer;
const connections: Redis[] = [];

async function connect(): Promise<Redis> {
  const redis = createRedis(server.url, 'request');
  redis.on('error', () => undefined);
  await waitForRedis(redis);
  connections.push(redis);
  return redis;
}

/** A token-service process's guard: its own connection, the shared Postgres and prefix. */
async function newProcess(): Promise<ReplayGuardService> {
  return new ReplayGuardService(await connect(), { redisPrefix: PREFIX } as TokenServiceConfig, dataSource);
}

const nowS = () => Date.now() / 1000;
/** An assertion issued a minute ago, valid for five more: usable since its iat minus a 30 s skew. */
const issuedAMinuteAgo = () => ({ keepUntil: nowS() + 300, usableSince: nowS() - 60 - 30 });

/** A jti whose mark falls in the given bucket. */
function jtiInBucket(bucket: number, namespace = 'grant:i'): string {
  for (;;) {
    const jti = randomUUID();
    if (replayKeys(PREFIX, namespace, jti).bucket === bucket) return jti;
  }
}

beforeAll(async () => {
  Logger.overrideLogger(['error']);
  database = await createTestDatabase('replayloss');
  dataSource = createDataSource({ url: database.url, schema: TOKEN_SCHEMA, migrations: TOKEN_MIGRATIONS });
  await runMigrationsWithLock(dataSource, TOKEN_SCHEMA);
  server = await OwnRedisServer.start();
});

beforeEach(() => {
  PREFIX = `tbtest-replay-${randomUUID()}`;
});

afterAll(async () => {
  await Promise.all(connections.map((redis) => redis.quit().catch(() => redis.disconnect())));
  await server?.destroy();
  await dataSource?.destroy();
  await database?.drop();
});

it('a new store is not a loss: the first process initialises every bucket, and an assertion issued before accepted once', async () => {
  const guard = await newProcess();
  const jti = randomUUID();
  const { keepUntil, usableSince } = issuedAMinuteAgo();
  expect(await guard.markUsed('grant:i', jti, keepUntil, usableSince)).toBe(true);
  expect(await guard.markUsed('grant:i', jti, keepUntil, usableSince)).toBe(false);
  const admin = await connect();
  for (let bucket = 0; bucket < 16; bucket++) expect(await admin.hget(epochKey(PREFIX, bucket), 'loss_at')).toBe('0');
});

it('FLUSHALL mid-run: the unexpired assertion is not accepted again, on this process or another; new ones are', async () => {
  const [first, second] = [await newProcess(), await newProcess()];
  const jti = randomUUID();
  const { keepUntil, usableSince } = issuedAMinuteAgo();
  expect(await first.markUsed('grant:i', jti, keepUntil, usableSince)).toBe(true);

  await (await connect()).flushall();
  expect(await first.markUsed('grant:i', jti, keepUntil, usableSince)).toBe('state_lost');
  expect(await second.markUsed('grant:i', jti, keepUntil, usableSince)).toBe('state_lost');
  // An assertion that could not have been used before the loss is single-use as ever.
  const fresh = randomUUID();
  const later = nowS() + 1;
  expect(await second.markUsed('grant:i', fresh, later + 300, later)).toBe(true);
  expect(await first.markUsed('grant:i', fresh, later + 300, later)).toBe(false);
});

it('a restart without AOF, seen first by a process started after it: refused as well', async () => {
  const before = await newProcess();
  const jti = randomUUID();
  const { keepUntil, usableSince } = issuedAMinuteAgo();
  expect(await before.markUsed('client:c', jti, keepUntil, usableSince)).toBe(true);

  await server.stop();
  await server.resume();
  const after = await newProcess();
  expect(await after.markUsed('client:c', jti, keepUntil, usableSince)).toBe('state_lost');
});

it('a failover to a replica that lagged (the bucket rolled back): the process that saw more marks declares the loss', async () => {
  const guard = await newProcess();
  const admin = await connect();
  const bucket = 3;
  expect(await guard.markUsed('grant:i', jtiInBucket(bucket), nowS() + 300, nowS() - 90)).toBe(true);
  // The replica's copy: taken now, before the marks that it will lack.
  const snapshot = await admin.dumpBuffer(epochKey(PREFIX, bucket));
  const lagged = jtiInBucket(bucket);
  const { keepUntil, usableSince } = issuedAMinuteAgo();
  expect(await guard.markUsed('grant:i', lagged, keepUntil, usableSince)).toBe(true);
  expect(await guard.markUsed('grant:i', jtiInBucket(bucket), nowS() + 300, nowS() - 90)).toBe(true);

  // Failover: the replica lacks the last marks and its epoch sequence is behind.
  await admin.restore(epochKey(PREFIX, bucket), 0, snapshot!, 'REPLACE');
  await admin.del(replayKeys(PREFIX, 'grant:i', lagged).mark);
  expect(await guard.markUsed('grant:i', lagged, keepUntil, usableSince)).toBe('state_lost');
  expect(Number(await admin.hget(epochKey(PREFIX, bucket), 'loss_at'))).toBeGreaterThan(Date.now() - 10_000);
});

it('Postgres or Redis unreachable while a loss must be decided: it throws (503), never a pass', async () => {
  const guard = await newProcess();
  await server.stop();
  await expect(guard.markUsed('grant:i', randomUUID(), nowS() + 300, nowS())).rejects.toThrow(/replay store unavailable/);
  await server.resume();
});
