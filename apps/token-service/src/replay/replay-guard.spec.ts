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
import { AUDIT_STREAM_FIELD, auditStreamKey } from '@trust-broker/contracts';
import { ReplayGuardService, type DeferredMark } from './replay-guard.service';
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

describe('commit: the grant\'s marks and its success event in one script', () => {
  const mark = (namespace: string, jti: string, kind: DeferredMark['kind'] = 'grant'): DeferredMark => ({ namespace, jti, ...issuedAMinuteAgo(), kind });
  const entry = (id: string) => JSON.stringify([{ id }]);
  async function entriesOf(admin: Redis, bucket: number): Promise<string[]> {
    const entries = (await admin.xrange(auditStreamKey(PREFIX, bucket), '-', '+')) as Array<[string, string[]]>;
    return entries.map(([, fields]) => {
      expect(fields[0]).toBe(AUDIT_STREAM_FIELD);
      return (JSON.parse(fields[1]!) as Array<{ id: string }>)[0]!.id;
    });
  }

  it('records every mark and appends the event to the first mark\'s shard; a second commit of any mark is refused and writes nothing', async () => {
    const guard = await newProcess();
    const admin = await connect();
    const grantJti = jtiInBucket(5);
    const proofJti = jtiInBucket(9, 'dpop');
    expect(await guard.commit([mark('grant:i', grantJti), mark('dpop', proofJti, 'dpop')], entry('first'))).toEqual({ committed: true });
    expect(await entriesOf(admin, 5)).toEqual(['first']);
    expect(await admin.pttl(replayKeys(PREFIX, 'dpop', proofJti).mark)).toBeGreaterThan(200_000);
    // The proof replayed with another grant assertion: refused as the proof's, nothing written.
    const other = randomUUID();
    const refused = await guard.commit([mark('grant:i', other), mark('dpop', proofJti, 'dpop')], entry('second'));
    expect(refused).toMatchObject({ committed: false, verdict: false, mark: { jti: proofJti, kind: 'dpop' } });
    expect(await admin.exists(replayKeys(PREFIX, 'grant:i', other).mark)).toBe(0);
    expect(await entriesOf(admin, replayKeys(PREFIX, 'grant:i', other).bucket)).not.toContain('second');
    // And the marks are the ones markUsed reads.
    expect(await guard.markUsed('grant:i', grantJti, nowS() + 300, nowS() - 90)).toBe(false);
  });

  it('refuses a replay atomically across two replicas: of 40 jtis each committed by both at once, each is accepted once, with one event', async () => {
    const [one, two] = [await newProcess(), await newProcess()];
    const admin = await connect();
    await one.markUsed('grant:i', randomUUID(), nowS() + 300, nowS()); // the store initialised once
    const jtis = Array.from({ length: 40 }, () => randomUUID());
    const outcomes = await Promise.all(
      jtis.flatMap((jti) => [one.commit([mark('grant:i', jti)], entry(`${jti}-one`)), two.commit([mark('grant:i', jti)], entry(`${jti}-two`))]),
    );
    const stored = (await Promise.all(Array.from({ length: 16 }, (_, bucket) => entriesOf(admin, bucket)))).flat();
    jtis.forEach((jti, i) => {
      const [a, b] = [outcomes[2 * i]!, outcomes[2 * i + 1]!];
      expect([a.committed, b.committed].filter(Boolean)).toHaveLength(1);
      expect(stored.filter((id) => id.startsWith(jti))).toEqual([a.committed ? `${jti}-one` : `${jti}-two`]);
    });
    expect(stored).toHaveLength(40);
  });

  it('an assertion usable before a loss is refused as state_lost (nothing written); a seq that went back is found in the script', async () => {
    const guard = await newProcess();
    const admin = await connect();
    const jti = jtiInBucket(2);
    expect(await guard.commit([mark('grant:i', jti)], entry('before'))).toEqual({ committed: true });
    await admin.flushall();
    const lost = await guard.commit([mark('grant:i', jti)], entry('after-flush'));
    expect(lost).toMatchObject({ committed: false, verdict: 'state_lost' });
    expect(await entriesOf(admin, 2)).toEqual([]);

    // A failover to a replica that lagged: the epoch's seq goes back under the same id.
    const later = nowS() + 1;
    const fresh = (jti: string): DeferredMark => ({ namespace: 'grant:i', jti, keepUntil: later + 300, usableSince: later, kind: 'grant' });
    expect(await guard.commit([fresh(jtiInBucket(2))], entry('a'))).toEqual({ committed: true });
    const snapshot = await admin.dumpBuffer(epochKey(PREFIX, 2));
    expect(await guard.commit([fresh(jtiInBucket(2))], entry('b'))).toEqual({ committed: true });
    await admin.restore(epochKey(PREFIX, 2), 0, snapshot!, 'REPLACE');
    const rolledBack = await guard.commit([mark('grant:i', jtiInBucket(2))], entry('c'));
    expect(rolledBack).toMatchObject({ committed: false, verdict: 'state_lost' });
    expect(Number(await admin.hget(epochKey(PREFIX, 2), 'loss_at'))).toBeGreaterThan(Date.now() - 10_000);
    expect(await entriesOf(admin, 2)).toEqual(['a', 'b']);
  });

  it('Redis unreachable: it throws (503), never a pass', async () => {
    const guard = await newProcess();
    await guard.markUsed('grant:i', randomUUID(), nowS() + 300, nowS());
    await server.stop();
    await expect(guard.commit([mark('grant:i', randomUUID())], entry('x'))).rejects.toThrow(/replay store unavailable/);
    await server.resume();
  });
});
