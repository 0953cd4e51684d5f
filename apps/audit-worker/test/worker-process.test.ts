/**
 * The built worker as a real process: killed in the middle of its work, run as two
 * replicas, fed malformed payloads. Real Postgres, Redis and BullMQ throughout.
 */
import { join } from 'node:path';
import { eventually, startNodeProcess } from '@trust-broker/testing';
import { makeEvent } from './fixtures';
import { ADMIN_KEY, WorkerHarness, readMetric, type RunningWorker } from './worker-harness';

jest.setTimeout(240_000);

const INTACT = { intact: true, broken_at: null, reason: null, full: true };
const MAIN = join(__dirname, '..', 'dist', 'main.js');

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
    // Producers may send an event twice (a retry after a timeout): same id, new job.
    await harness.enqueue(events.slice(0, 50), (_, index) => `again-${index}`);
    await eventually(async () => (await harness.queue.getCompletedCount()) === 3050, 60_000, 100);
    expect(await readMetric(second, 'audit_events_duplicate_total')).toBeGreaterThanOrEqual(50);
    expect(await harness.storedCounts()).toEqual({ rows: 3000, ids: 3000, top: 3000 });
    expect(await harness.queue.getFailedCount()).toBe(0);
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
    // A graceful stop leaves no job active (held) behind.
    expect(await harness.queue.getActiveCount()).toBe(0);
    const second = await harness.startWorker(env);
    await eventually(async () => (await harness.storedCounts()).rows === 3000, 180_000, 200);
    expect(await harness.storedCounts()).toEqual({ rows: 3000, ids: 3000, top: 3000 });
    expect(await harness.verify(second)).toMatchObject({ ...INTACT, checked: 3000 });
  });
});

describe('two worker replicas on one queue', () => {
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

describe('malformed payloads', () => {
  let harness: WorkerHarness;
  beforeAll(async () => {
    harness = await WorkerHarness.create('malformed');
  });
  afterAll(async () => harness.close());

  it('are failed at once without retry, kept, counted, and never block good events', async () => {
    const worker = await harness.startWorker();
    const secretLooking = 'eyJhbGciOiJSUzI1NiJ9.SECRET-ASSERTION.sig';
    const malformed = [
      { jobId: 'bad-missing-id', data: { ...makeEvent(), id: undefined } },
      { jobId: 'bad-type', data: makeEvent({ type: 'bogus' as never }) },
      { jobId: 'bad-extra-field', data: { ...makeEvent(), assertion: secretLooking } },
      { jobId: 'bad-nul', data: makeEvent({ subject: 'a\u0000b' }) },
      { jobId: 'bad-not-object', data: 'just a string' },
      { jobId: 'bad-date', data: makeEvent({ occurred_at: secretLooking }) },
    ];
    // Valid but long: 1,000 random CJK characters are 3,000 bytes, over the btree row limit.
    const cjk = () => Array.from({ length: 1000 }, () => String.fromCharCode(0x4e00 + Math.floor(Math.random() * 0x5000))).join('');
    const long = makeEvent({ issuer: cjk(), subject: cjk() });
    const good = [...Array.from({ length: 5 }, () => makeEvent()), long];
    await harness.enqueueRaw(malformed);
    await harness.enqueue(good);
    await eventually(async () => (await harness.queue.getFailedCount()) === malformed.length && (await harness.storedCounts()).rows === 6, 60_000, 100);
    const failed = await harness.queue.getFailed(0, 100);
    expect(failed.map((job) => job.id).sort()).toEqual(malformed.map((m) => m.jobId).sort());
    for (const job of failed) {
      expect(job.attemptsMade).toBe(1);
      expect(job.failedReason).toMatch(/^malformed audit event: /);
      expect(job.failedReason).not.toContain('SECRET');
    }
    expect(await readMetric(worker, 'audit_events_malformed_total')).toBe(malformed.length);
    expect(worker.process.output()).not.toContain('SECRET');
    expect(await harness.verify(worker)).toMatchObject({ ...INTACT, checked: 6 });
    for (const filter of [`issuer=${encodeURIComponent(long.issuer!)}`, `subject=${encodeURIComponent(long.subject!)}`]) {
      const response = await fetch(`${worker.url}/v1/audit/events?${filter}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
      expect(((await response.json()) as { items: Array<{ id: string }> }).items.map((item) => item.id)).toEqual([long.id]);
    }
    // Nothing else was retried or is waiting.
    expect(await harness.queue.getJobCounts('wait', 'delayed', 'active')).toEqual({ wait: 0, delayed: 0, active: 0 });
  });
});

describe('batch jobs (audit-batch, as token-service sends them)', () => {
  let harness: WorkerHarness;
  let worker: RunningWorker;
  beforeAll(async () => {
    harness = await WorkerHarness.create('batches');
    worker = await harness.startWorker({ AUDIT_BATCH_SIZE: '100' });
  });
  afterAll(async () => harness.close());

  it('are written event by event into one chain with single-event jobs; a redelivered event in either shape is skipped', async () => {
    const batched = Array.from({ length: 1000 }, () => makeEvent());
    const single = Array.from({ length: 100 }, () => makeEvent());
    // Batches of 37 straddle the write batches of 100: a job may span two writes.
    const jobIds = await harness.enqueueBatches(batched, 37);
    await harness.enqueue(single);
    await eventually(async () => (await harness.queue.getCompletedCount()) === jobIds.length + single.length, 60_000, 100);
    expect(await harness.storedCounts()).toEqual({ rows: 1100, ids: 1100, top: 1100 });
    // The same events again: a single job holding a batched event, a batch holding single ones.
    await harness.enqueue(batched.slice(0, 3), (_, index) => `again-${index}`);
    await harness.enqueueBatches(single.slice(0, 10), 10);
    await eventually(async () => (await harness.queue.getCompletedCount()) === jobIds.length + single.length + 4, 60_000, 100);
    expect(await harness.storedCounts()).toEqual({ rows: 1100, ids: 1100, top: 1100 });
    expect(await readMetric(worker, 'audit_events_duplicate_total')).toBe(13);
    expect(await harness.queue.getFailedCount()).toBe(0);
    expect(await harness.verify(worker)).toMatchObject({ ...INTACT, checked: 1100 });
  });

  it('SIGKILL in the middle of batch jobs: once restarted every event is stored exactly once, chain intact', async () => {
    const before = (await harness.storedCounts()).rows;
    const events = Array.from({ length: 3000 }, () => makeEvent());
    const env = { AUDIT_BATCH_SIZE: '100', AUDIT_CHECKPOINT_EVERY: '500' };
    const victim = await harness.startWorker(env);
    await worker.process.kill('SIGKILL'); // only the victim takes jobs now
    await harness.enqueueBatches(events, 40);
    await eventually(async () => (await harness.storedCounts()).rows >= before + 200, 120_000, 10);
    await victim.process.kill('SIGKILL');
    expect((await harness.storedCounts()).rows).toBeLessThan(before + 3000); // it really died with work left
    worker = await harness.startWorker(env);
    await eventually(async () => (await harness.storedCounts()).rows === before + 3000, 180_000, 200);
    await eventually(async () => (await harness.queue.getJobCounts('wait', 'active')).active === 0, 60_000, 100);
    expect(await harness.storedCounts()).toEqual({ rows: before + 3000, ids: before + 3000, top: before + 3000 });
    expect(await harness.queue.getFailedCount()).toBe(0);
    expect(await harness.verify(worker)).toMatchObject({ ...INTACT, checked: before + 3000 });
  });

  it('a malformed event inside a batch: the valid ones are written, the job fails without retry, kept and counted', async () => {
    const before = (await harness.storedCounts()).rows;
    const secretLooking = 'eyJhbGciOiJSUzI1NiJ9.SECRET-ASSERTION.sig';
    const valid = [makeEvent(), makeEvent(), makeEvent()];
    await harness.enqueueRaw([
      {
        name: 'audit-batch',
        jobId: 'batch-with-two-bad',
        data: { events: [valid[0], { ...makeEvent(), assertion: secretLooking }, valid[1], makeEvent({ type: 'bogus' as never }), valid[2]] },
      },
      { name: 'audit-batch', jobId: 'batch-empty', data: { events: [] } },
      { name: 'audit-batch', jobId: 'batch-not-envelope', data: makeEvent() },
      { name: 'audit-batch', jobId: 'batch-too-big', data: { events: Array.from({ length: 501 }, () => makeEvent()) } },
    ]);
    await eventually(async () => (await harness.queue.getFailedCount()) === 4, 60_000, 100);
    expect((await harness.storedCounts()).rows).toBe(before + 3);
    const { rows } = await harness.pg.query(`SELECT id FROM audit.events WHERE id = ANY($1::uuid[])`, [valid.map((event) => event.id)]);
    expect(rows).toHaveLength(3);
    const failed = new Map((await harness.queue.getFailed(0, 100)).map((job) => [job.id, job]));
    for (const job of failed.values()) {
      expect(job.attemptsMade).toBe(1);
      expect(job.failedReason).not.toContain('SECRET');
    }
    expect(failed.get('batch-with-two-bad')!.failedReason).toMatch(/^audit batch: 3 of 5 events stored, 2 malformed: events\.1: .*; events\.3: /);
    for (const id of ['batch-empty', 'batch-not-envelope', 'batch-too-big']) expect(failed.get(id)!.failedReason).toMatch(/^malformed audit batch: /);
    // Two malformed events plus three malformed envelopes.
    expect(await readMetric(worker, 'audit_events_malformed_total')).toBe(5);
    expect(worker.process.output()).not.toContain('SECRET');
    expect(await harness.verify(worker)).toMatchObject({ ...INTACT, checked: before + 3 });
  });
});
