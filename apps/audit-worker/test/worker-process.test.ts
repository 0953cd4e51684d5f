/**
 * The built worker as a real process: killed in the middle of its work, run as two
 * replicas, fed malformed entries, its Redis restarted. Real Postgres and Redis streams
 * throughout (and BullMQ for the legacy queue it drains).
 */
import { join } from 'node:path';
import { eventually, OwnRedisServer, startNodeProcess } from '@trust-broker/testing';
import { AUDIT_STREAM_FIELD } from '@trust-broker/contracts';
import { makeEvent } from './fixtures';
import Redis from 'ioredis';
import { ADMIN_KEY, StreamProducer, WorkerHarness, readMetric, type RunningWorker } from './worker-harness';

jest.setTimeout(240_000);

const INTACT = { intact: true, broken_at: null, reason: null, full: true };
const MAIN = join(__dirname, '..', 'dist', 'main.js');

/** Every entry acknowledged and deleted: nothing left to read or held unacknowledged. */
async function drained(harness: WorkerHarness): Promise<boolean> {
  const backlog = await harness.backlog();
  return backlog.entries === 0 && backlog.pending === 0;
}

const entry = (value: unknown): string[] => [AUDIT_STREAM_FIELD, JSON.stringify(value)];

describe('a worker killed with SIGKILL in the middle of a batch', () => {
  let harness: WorkerHarness;
  beforeAll(async () => {
    harness = await WorkerHarness.create('kill');
  });
  afterAll(async () => harness.close());

  it('loses nothing and writes nothing twice once restarted; redelivered events are skipped', async () => {
    const events = Array.from({ length: 3000 }, () => makeEvent());
    await harness.enqueue(events);
    const env = { AUDIT_BATCH_SIZE: '100', AUDIT_BATCH_WAIT_MS: '5', AUDIT_CHECKPOINT_EVERY: '500' };
    const first = await harness.startWorker(env);
    await eventually(async () => (await harness.storedCounts()).rows >= 200, 120_000, 10);
    await first.process.kill('SIGKILL');
    const atKill = await harness.storedCounts();
    expect(atKill.rows).toBeLessThan(3000); // it really died with work left

    const second = await harness.startWorker(env);
    await eventually(async () => (await harness.storedCounts()).rows === 3000, 180_000, 200);
    // The dead worker's entries were claimed (XAUTOCLAIM) and acknowledged after their commit.
    await eventually(() => drained(harness), 60_000, 100);
    // Producers may send an event twice (a retry after a timeout): same id, new entry.
    await harness.enqueue(events.slice(0, 50));
    await eventually(() => drained(harness), 60_000, 100);
    expect(await readMetric(second, 'audit_events_duplicate_total')).toBeGreaterThanOrEqual(50);
    expect(await harness.storedCounts()).toEqual({ rows: 3000, ids: 3000, top: 3000 });
    expect(await harness.deadLetters()).toEqual([]);
    expect(await harness.verify(second)).toMatchObject({ ...INTACT, checked: 3000 });
  });
});

describe('a worker stopped with SIGTERM while busy', () => {
  let harness: WorkerHarness;
  beforeAll(async () => {
    harness = await WorkerHarness.create('sigterm');
  });
  afterAll(async () => harness.close());

  it('writes what it holds, exits by itself, and a restart finishes the rest', async () => {
    await harness.enqueue(Array.from({ length: 3000 }, () => makeEvent()));
    const env = { AUDIT_BATCH_SIZE: '100' };
    const first = await harness.startWorker(env);
    await eventually(async () => (await harness.storedCounts()).rows >= 200, 120_000, 10);
    await first.process.stop(60_000);
    expect(first.process.child.signalCode).not.toBe('SIGKILL');
    // A graceful stop leaves no entry read and unacknowledged behind.
    expect((await harness.backlog()).pending).toBe(0);
    const second = await harness.startWorker(env);
    await eventually(async () => (await harness.storedCounts()).rows === 3000, 180_000, 200);
    expect(await harness.storedCounts()).toEqual({ rows: 3000, ids: 3000, top: 3000 });
    expect(await harness.verify(second)).toMatchObject({ ...INTACT, checked: 3000 });
  });
});

describe('two worker replicas in one consumer group', () => {
  let harness: WorkerHarness;
  beforeAll(async () => {
    harness = await WorkerHarness.create('replicas');
  });
  afterAll(async () => harness.close());

  it('share the work and keep one intact chain', async () => {
    const env = { AUDIT_BATCH_SIZE: '50', AUDIT_CHECKPOINT_EVERY: '300' };
    const [a, b] = await Promise.all([harness.startWorker(env), harness.startWorker(env)]);
    await harness.enqueue(Array.from({ length: 4000 }, () => makeEvent()));
    await eventually(async () => (await harness.storedCounts()).rows === 4000, 180_000, 200);
    expect(await harness.storedCounts()).toEqual({ rows: 4000, ids: 4000, top: 4000 });
    const [writtenA, writtenB] = await Promise.all([readMetric(a!, 'audit_events_written_total'), readMetric(b!, 'audit_events_written_total')]);
    expect(writtenA + writtenB).toBe(4000);
    expect(writtenA).toBeGreaterThan(0);
    expect(writtenB).toBeGreaterThan(0);
    // Both started together: one generated the signing key, the other loaded it.
    const keys = await harness.pg.query(`SELECT count(*)::int AS n FROM audit.signing_keys`);
    expect(keys.rows[0].n).toBe(1);
    expect(await harness.verify(a!)).toMatchObject({ ...INTACT, checked: 4000 });
  });
});

describe('the process', () => {
  let harness: WorkerHarness;
  beforeAll(async () => {
    harness = await WorkerHarness.create('process');
  });
  afterAll(async () => harness.close());

  it('"migrate" migrates and exits; a bad setting stops it naming the variable', async () => {
    const migrate = startNodeProcess(MAIN, { DATABASE_URL: harness.db.url, KEY_ENCRYPTION_KEY: harness.keyEncryptionKey }, ['migrate']);
    await new Promise((resolve) => migrate.child.once('exit', resolve));
    expect(migrate.child.exitCode).toBe(0);
    expect(migrate.output()).toContain('migrations applied: CreateAuditSchema1764300000000');
    const { rows } = await harness.pg.query(`SELECT count(*)::int AS n FROM audit.migrations`);
    expect(rows[0].n).toBeGreaterThanOrEqual(3);

    const bad = startNodeProcess(MAIN, { DATABASE_URL: harness.db.url, AUDIT_BATCH_SIZE: 'lots', NODE_ENV: 'production', ADMIN_API_KEY: '' });
    await new Promise((resolve) => bad.child.once('exit', resolve));
    expect(bad.child.exitCode).toBe(2);
    expect(bad.output()).toMatch(/AUDIT_BATCH_SIZE/);
    expect(bad.output()).toMatch(/ADMIN_API_KEY: required when NODE_ENV=production/);
  });

  it('signs a checkpoint after AUDIT_CHECKPOINT_INTERVAL_S when the head moved', async () => {
    await harness.startWorker({ AUDIT_CHECKPOINT_EVERY: '100000', AUDIT_CHECKPOINT_INTERVAL_S: '1' });
    await harness.enqueue(Array.from({ length: 3 }, () => makeEvent()));
    await eventually(async () => (await harness.storedCounts()).rows === 3, 60_000, 100);
    const checkpoint = await eventually(async () => {
      const { rows } = await harness.pg.query(`SELECT max(seq)::int AS seq FROM audit.checkpoints`);
      return rows[0].seq === 3 ? rows[0] : undefined;
    }, 30_000, 200);
    expect(checkpoint).toEqual({ seq: 3 });
  });
});

describe('malformed entries', () => {
  let harness: WorkerHarness;
  beforeAll(async () => {
    harness = await WorkerHarness.create('malformed');
  });
  afterAll(async () => harness.close());

  it('go to the dead-letter stream at once, counted, and never block good events', async () => {
    const worker = await harness.startWorker();
    const secretLooking = 'eyJhbGciOiJSUzI1NiJ9.SECRET-ASSERTION.sig';
    const malformed = [
      entry([{ ...makeEvent(), id: undefined }]),
      entry([makeEvent({ type: 'bogus' as never })]),
      entry([{ ...makeEvent(), assertion: secretLooking }]),
      entry([makeEvent({ subject: 'a\u0000b' })]),
      entry(['just a string']),
      entry([makeEvent({ occurred_at: secretLooking })]),
    ];
    // Valid but long: 1,000 random CJK characters are 3,000 bytes, over the btree row limit.
    const cjk = () => Array.from({ length: 1000 }, () => String.fromCharCode(0x4e00 + Math.floor(Math.random() * 0x5000))).join('');
    const long = makeEvent({ issuer: cjk(), subject: cjk() });
    const good = [...Array.from({ length: 5 }, () => makeEvent()), long];
    const ids = await harness.enqueueRaw(malformed);
    await harness.enqueue(good);
    await eventually(async () => (await harness.deadLetters()).length === malformed.length && (await harness.storedCounts()).rows === 6, 60_000, 100);
    const dead = await harness.deadLetters();
    expect(dead.map((letter) => `${letter.stream} ${letter.id}`).sort()).toEqual([...ids].sort());
    for (const letter of dead) {
      expect(letter.reason).toMatch(/^audit entry: 0 of 1 events stored, 1 malformed: events\.0: /);
      expect(letter.reason).not.toContain('SECRET');
      expect(letter[AUDIT_STREAM_FIELD]).toBeDefined(); // the entry itself is kept for inspection
    }
    expect(await readMetric(worker, 'audit_events_malformed_total')).toBe(malformed.length);
    expect(worker.process.output()).not.toContain('SECRET');
    expect(await harness.verify(worker)).toMatchObject({ ...INTACT, checked: 6 });
    for (const filter of [`issuer=${encodeURIComponent(long.issuer!)}`, `subject=${encodeURIComponent(long.subject!)}`]) {
      const response = await fetch(`${worker.url}/v1/audit/events?${filter}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
      expect(((await response.json()) as { items: Array<{ id: string }> }).items.map((item) => item.id)).toEqual([long.id]);
    }
    // Nothing else is waiting or held.
    await eventually(() => drained(harness), 30_000, 100);
  });
});

describe('entries of several events (as token-service sends one event-loop turn)', () => {
  let harness: WorkerHarness;
  let worker: RunningWorker;
  beforeAll(async () => {
    harness = await WorkerHarness.create('batches');
    worker = await harness.startWorker({ AUDIT_BATCH_SIZE: '100' });
  });
  afterAll(async () => harness.close());

  it('are written event by event into one chain with single-event entries; a redelivered event in either shape is skipped', async () => {
    const batched = Array.from({ length: 1000 }, () => makeEvent());
    const single = Array.from({ length: 100 }, () => makeEvent());
    // Entries of 37 straddle the write batches of 100: an entry may span two writes.
    await harness.enqueueBatches(batched, 37);
    await harness.enqueue(single);
    await eventually(async () => (await harness.storedCounts()).rows === 1100 && (await drained(harness)), 60_000, 100);
    expect(await harness.storedCounts()).toEqual({ rows: 1100, ids: 1100, top: 1100 });
    // The same events again: single entries holding batched events, an entry holding single ones.
    await harness.enqueue(batched.slice(0, 3));
    await harness.enqueueBatches(single.slice(0, 10), 10);
    await eventually(async () => (await readMetric(worker, 'audit_events_duplicate_total')) === 13 && (await drained(harness)), 60_000, 100);
    expect(await harness.storedCounts()).toEqual({ rows: 1100, ids: 1100, top: 1100 });
    expect(await harness.deadLetters()).toEqual([]);
    expect(await harness.verify(worker)).toMatchObject({ ...INTACT, checked: 1100 });
  });

  it('SIGKILL in the middle of a batch: once another worker claims the entries every event is stored exactly once, chain intact', async () => {
    const before = (await harness.storedCounts()).rows;
    const events = Array.from({ length: 3000 }, () => makeEvent());
    const env = { AUDIT_BATCH_SIZE: '100', AUDIT_CHECKPOINT_EVERY: '500' };
    const victim = await harness.startWorker(env);
    await worker.process.kill('SIGKILL'); // only the victim reads now
    await harness.enqueueBatches(events, 40);
    await eventually(async () => (await harness.storedCounts()).rows >= before + 200, 120_000, 10);
    await victim.process.kill('SIGKILL');
    const atKill = await harness.storedCounts();
    expect(atKill.rows).toBeLessThan(before + 3000); // it really died with work left
    expect((await harness.backlog()).pending).toBeGreaterThan(0); // and held entries unacknowledged
    worker = await harness.startWorker(env);
    await eventually(async () => (await harness.storedCounts()).rows === before + 3000, 180_000, 200);
    await eventually(() => drained(harness), 60_000, 100);
    expect(await harness.storedCounts()).toEqual({ rows: before + 3000, ids: before + 3000, top: before + 3000 });
    expect(await harness.deadLetters()).toEqual([]);
    expect(await harness.verify(worker)).toMatchObject({ ...INTACT, checked: before + 3000 });
  });

  it('a malformed event inside an entry: the valid ones are written, the entry goes to the dead letter, counted', async () => {
    const before = (await harness.storedCounts()).rows;
    const secretLooking = 'eyJhbGciOiJSUzI1NiJ9.SECRET-ASSERTION.sig';
    const valid = [makeEvent(), makeEvent(), makeEvent()];
    const [twoBad, empty, notArray, tooBig, notJson, noField] = await harness.enqueueRaw([
      entry([valid[0], { ...makeEvent(), assertion: secretLooking }, valid[1], makeEvent({ type: 'bogus' as never }), valid[2]]),
      entry([]),
      entry(makeEvent()),
      entry(Array.from({ length: 501 }, () => makeEvent())),
      [AUDIT_STREAM_FIELD, `{"id": "${secretLooking}"`],
      ['something', 'else'],
    ]);
    await eventually(async () => (await harness.deadLetters()).length === 6, 60_000, 100);
    expect((await harness.storedCounts()).rows).toBe(before + 3);
    const { rows } = await harness.pg.query(`SELECT id FROM audit.events WHERE id = ANY($1::uuid[])`, [valid.map((event) => event.id)]);
    expect(rows).toHaveLength(3);
    const dead = new Map((await harness.deadLetters()).map((letter) => [`${letter.stream} ${letter.id}`, letter]));
    for (const letter of dead.values()) expect(letter.reason).not.toContain('SECRET');
    expect(dead.get(twoBad!)!.reason).toMatch(/^audit entry: 3 of 5 events stored, 2 malformed: events\.1: .*; events\.3: /);
    for (const id of [empty, notArray, tooBig, notJson, noField]) expect(dead.get(id!)!.reason).toMatch(/^malformed audit entry: /);
    expect(dead.get(noField!)!.something).toBe('else');
    // Two malformed events plus five malformed entries.
    expect(await readMetric(worker, 'audit_events_malformed_total')).toBe(7);
    expect(worker.process.output()).not.toContain('SECRET');
    await eventually(() => drained(harness), 30_000, 100);
    expect(await harness.verify(worker)).toMatchObject({ ...INTACT, checked: before + 3 });
  });
});

describe('the legacy BullMQ audit queue (an upgrade from a release that used it)', () => {
  let harness: WorkerHarness;
  beforeAll(async () => {
    harness = await WorkerHarness.create('legacy');
  });
  afterAll(async () => harness.close());

  it('is drained once at start, beside the streams, into the same chain', async () => {
    const legacy = Array.from({ length: 120 }, () => makeEvent());
    const streamed = Array.from({ length: 30 }, () => makeEvent());
    await harness.enqueueLegacy(legacy);
    await harness.enqueue(streamed);
    const worker = await harness.startWorker({ LOG_LEVEL: 'info' });
    await eventually(async () => (await harness.storedCounts()).rows === 150, 60_000, 100);
    await eventually(async () => (await harness.queue.getCompletedCount()) === 120, 30_000, 100);
    expect(await harness.queue.getJobCounts('wait', 'active', 'delayed', 'failed')).toEqual({ wait: 0, active: 0, delayed: 0, failed: 0 });
    await eventually(async () => /the legacy audit queue is drained/.test(worker.process.output()), 30_000, 100);
    expect(await harness.storedCounts()).toEqual({ rows: 150, ids: 150, top: 150 });
    expect(await harness.verify(worker)).toMatchObject({ ...INTACT, checked: 150 });
  });
});

describe('a Redis restart under the worker', () => {
  let harness: WorkerHarness;
  let redis: OwnRedisServer;
  beforeAll(async () => {
    harness = await WorkerHarness.create('redisrestart');
    redis = await OwnRedisServer.start();
  });
  afterAll(async () => {
    await harness.close();
    await redis.destroy();
  });

  it('is not ready while Redis is away, and resumes reading by itself (groups created again on an empty Redis)', async () => {
    const worker = await harness.startWorker({ REDIS_URL: redis.url });
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    connection.on('error', () => undefined);
    const own = new StreamProducer(connection, harness.redisPrefix.prefix);
    try {
      await eventually(async () => (await fetch(`${worker.url}/readyz`)).status === 200, 30_000, 100);
      await own.enqueue(Array.from({ length: 10 }, () => makeEvent()));
      await eventually(async () => (await harness.storedCounts()).rows === 10, 30_000, 100);
      await redis.stop();
      await eventually(async () => (await fetch(`${worker.url}/readyz`)).status === 503, 30_000, 100);
      // No persistence: the restarted Redis has neither the streams nor the group.
      await redis.resume();
      await own.enqueue(Array.from({ length: 10 }, () => makeEvent()));
      await eventually(async () => (await harness.storedCounts()).rows === 20, 60_000, 100);
      await eventually(async () => (await fetch(`${worker.url}/readyz`)).status === 200, 30_000, 100);
      expect(await harness.verify(worker)).toMatchObject({ ...INTACT, checked: 20 });
    } finally {
      connection.disconnect();
    }
  });
});
