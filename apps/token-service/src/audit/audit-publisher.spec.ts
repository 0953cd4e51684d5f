/**
 * The audit publisher's group commit against real Redis and BullMQ: events of one
 * event-loop turn share one job, each is stored exactly once, a lone event is a single
 * job, and when Redis does not take a job every waiter of it is refused.
 */
import { randomUUID } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { AUDIT_JOB_NAMES, auditBatchJobId, MAX_AUDIT_BATCH_EVENTS, QUEUES, type AuditEvent, type AuditEventInput } from '@trust-broker/contracts';
import { createTestRedisPrefix, type TestRedisPrefix } from '@trust-broker/testing';
import type { TokenServiceConfig } from '../config/token-service.config';
import { AuditPublisher } from './audit-publisher.service';
import { AuditUnavailableError } from './audit.errors';

const event = (): AuditEventInput => ({ id: randomUUID(), type: 'token', occurred_at: new Date().toISOString(), outcome: 'success', request_id: randomUUID() });

/** A TCP forwarder to Redis that the test can cut: the publisher's connection is then dead. */
async function cuttableProxy(target: URL): Promise<{ url: string; cut: () => void; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  let cut = false;
  const server: Server = createServer((client) => {
    if (cut) return void client.destroy();
    const upstream = connect(Number(target.port || 6379), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => socket.destroy());
      socket.on('close', () => sockets.delete(socket));
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `redis://127.0.0.1:${port}`,
    cut: () => {
      cut = true;
      for (const socket of sockets) socket.destroy();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('AuditPublisher (real Redis and BullMQ)', () => {
  let prefix: TestRedisPrefix;
  let redis: Redis;
  let reader: Redis;
  let queue: Queue;
  let publisher: AuditPublisher;

  beforeAll(async () => {
    prefix = createTestRedisPrefix('audit-publisher');
    redis = new Redis(prefix.url, { maxRetriesPerRequest: 1 });
    reader = new Redis(prefix.url, { maxRetriesPerRequest: null });
    queue = new Queue(QUEUES.audit, { connection: reader, prefix: prefix.prefix });
    await redis.ping();
    publisher = new AuditPublisher({ redisPrefix: prefix.prefix } as TokenServiceConfig, redis);
  });
  afterAll(async () => {
    await publisher.onModuleDestroy();
    await queue.close();
    redis.disconnect();
    reader.disconnect();
    await prefix.clear();
  });
  beforeEach(async () => queue.obliterate({ force: true }));

  async function storedJobs() {
    return (await queue.getJobs(['waiting'])).filter((job) => job !== undefined);
  }

  it('puts many concurrent publishes in few jobs; every event is stored exactly once and each caller waits for its job', async () => {
    const events = Array.from({ length: 1200 }, event);
    let settled = 0;
    const publishes = events.map((item) => publisher.publish(item).then(() => (settled += 1)));
    expect(settled).toBe(0);
    await Promise.all(publishes);
    const jobs = await storedJobs();
    // One turn: 1,200 events in ceil(1200 / 500) jobs, each a batch no larger than the bound.
    expect(jobs).toHaveLength(Math.ceil(events.length / MAX_AUDIT_BATCH_EVENTS));
    const stored = jobs.flatMap((job) => {
      expect(job.name).toBe(AUDIT_JOB_NAMES.batch);
      const batch = (job.data as { events: AuditEvent[] }).events;
      expect(batch.length).toBeLessThanOrEqual(MAX_AUDIT_BATCH_EVENTS);
      expect(job.id).toBe(auditBatchJobId(batch.map((item) => item.id)));
      expect(job.opts.attempts).toBe(10);
      return batch;
    });
    expect(stored.map((item) => item.id).sort()).toEqual(events.map((item) => item.id).sort());
    // Validated and filled by the contract on the way.
    expect(stored.every((item) => item.issuer === null && item.details === null)).toBe(true);
  });

  it('groups the events of each turn: publishes spread over turns make one job per turn', async () => {
    const waits: Promise<void>[] = [];
    for (let turn = 0; turn < 5; turn += 1) {
      for (let i = 0; i < 7; i += 1) waits.push(publisher.publish(event()));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(waits);
    const jobs = await storedJobs();
    expect(jobs.map((job) => (job.data as { events: unknown[] }).events.length)).toEqual([7, 7, 7, 7, 7]);
  });

  it('sends a lone event as the single-event job, its id the job id', async () => {
    const lone = event();
    await publisher.publish(lone);
    const jobs = await storedJobs();
    expect(jobs.map((job) => [job.name, job.id, (job.data as AuditEvent).id])).toEqual([[AUDIT_JOB_NAMES.event, lone.id, lone.id]]);
  });

  it('refuses an invalid event alone, without spoiling the valid events of its turn', async () => {
    const good = [event(), event()];
    const results = await Promise.allSettled([publisher.publish(good[0]!), publisher.publish({ ...event(), assertion: 'eyJ...' } as AuditEventInput), publisher.publish(good[1]!)]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((await storedJobs()).flatMap((job) => (job.data as { events: AuditEvent[] }).events.map((item) => item.id)).sort()).toEqual(good.map((item) => item.id).sort());
  });

  it('flushes what is pending on shutdown', async () => {
    const own = new AuditPublisher({ redisPrefix: prefix.prefix } as TokenServiceConfig, redis);
    const waits = [own.publish(event()), own.publish(event()), own.publish(event())];
    await own.onModuleDestroy();
    await Promise.all(waits);
    expect(await storedJobs()).toHaveLength(1);
  });

  it('rejects every waiter of a job Redis does not take (each answers 503), and stores none of it', async () => {
    const proxy = await cuttableProxy(new URL(prefix.url));
    const cutRedis = new Redis(proxy.url, { maxRetriesPerRequest: 1, commandTimeout: 500 });
    cutRedis.on('error', () => undefined);
    await cutRedis.ping();
    const own = new AuditPublisher({ redisPrefix: prefix.prefix } as TokenServiceConfig, cutRedis);
    try {
      const events = Array.from({ length: 40 }, event);
      const publishes = events.map((item) => own.publish(item));
      proxy.cut(); // before the turn ends: the job is sent into a dead connection
      const results = await Promise.allSettled(publishes);
      expect(results.map((result) => result.status)).toEqual(events.map(() => 'rejected'));
      for (const result of results) expect((result as PromiseRejectedResult).reason).toBeInstanceOf(AuditUnavailableError);
      // Once the connection is known dead, a publish is refused at once.
      await expect(own.publish(event())).rejects.toBeInstanceOf(AuditUnavailableError);
      expect(await storedJobs()).toHaveLength(0);
    } finally {
      await own.onModuleDestroy();
      cutRedis.disconnect();
      await proxy.close();
    }
  });
});
