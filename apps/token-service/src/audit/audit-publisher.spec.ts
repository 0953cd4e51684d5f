/**
 * The audit publisher's group commit against real Redis streams: events of one event-loop
 * turn share one entry, each is stored exactly once, the turns take the shards in turn,
 * and when Redis does not take an entry every waiter of it is refused.
 */
import { randomUUID } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import Redis from 'ioredis';
import { AUDIT_STREAM_FIELD, AUDIT_STREAM_SHARDS, auditStreamKeys, MAX_AUDIT_BATCH_EVENTS, type AuditEvent, type AuditEventInput } from '@trust-broker/contracts';
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

describe('AuditPublisher (real Redis streams)', () => {
  let prefix: TestRedisPrefix;
  let redis: Redis;
  let reader: Redis;
  let publisher: AuditPublisher;

  beforeAll(async () => {
    prefix = createTestRedisPrefix('audit-publisher');
    redis = new Redis(prefix.url, { maxRetriesPerRequest: 1 });
    reader = new Redis(prefix.url, { maxRetriesPerRequest: null });
    await redis.ping();
    publisher = new AuditPublisher({ redisPrefix: prefix.prefix } as TokenServiceConfig, redis);
  });
  afterAll(async () => {
    await publisher.onModuleDestroy();
    redis.disconnect();
    reader.disconnect();
    await prefix.clear();
  });
  beforeEach(async () => {
    await reader.del(...auditStreamKeys(prefix.prefix));
  });

  /** Every entry of every shard, in shard order: its key and its events. */
  async function storedJobs(): Promise<Array<{ key: string; events: AuditEvent[] }>> {
    const entries: Array<{ key: string; events: AuditEvent[] }> = [];
    for (const key of auditStreamKeys(prefix.prefix)) {
      for (const [, fields] of (await reader.xrange(key, '-', '+')) as Array<[string, string[]]>) {
        expect(fields[0]).toBe(AUDIT_STREAM_FIELD);
        entries.push({ key, events: JSON.parse(fields[1]!) as AuditEvent[] });
      }
    }
    return entries;
  }

  it('puts many concurrent publishes in few entries; every event is stored exactly once and each caller waits for its entry', async () => {
    const events = Array.from({ length: 1200 }, event);
    let settled = 0;
    const publishes = events.map((item) => publisher.publish(item).then(() => (settled += 1)));
    expect(settled).toBe(0);
    await Promise.all(publishes);
    const jobs = await storedJobs();
    // One turn: 1,200 events in ceil(1200 / 500) entries, each no larger than the bound.
    expect(jobs).toHaveLength(Math.ceil(events.length / MAX_AUDIT_BATCH_EVENTS));
    const stored = jobs.flatMap((job) => {
      expect(job.events.length).toBeLessThanOrEqual(MAX_AUDIT_BATCH_EVENTS);
      return job.events;
    });
    expect(stored.map((item) => item.id).sort()).toEqual(events.map((item) => item.id).sort());
    // Validated and filled by the contract on the way.
    expect(stored.every((item) => item.issuer === null && item.details === null)).toBe(true);
  });

  it('groups the events of each turn: publishes spread over turns make one entry per turn, on the next shard each', async () => {
    const waits: Promise<void>[] = [];
    for (let turn = 0; turn < 5; turn += 1) {
      for (let i = 0; i < 7; i += 1) waits.push(publisher.publish(event()));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(waits);
    const jobs = await storedJobs();
    expect(jobs.map((job) => job.events.length)).toEqual([7, 7, 7, 7, 7]);
    expect(new Set(jobs.map((job) => job.key)).size).toBe(Math.min(5, AUDIT_STREAM_SHARDS));
  });

  it('sends a lone event as an entry of one event', async () => {
    const lone = event();
    await publisher.publish(lone);
    const jobs = await storedJobs();
    expect(jobs.map((job) => job.events.map((item) => item.id))).toEqual([[lone.id]]);
  });

  it('refuses an invalid event alone, without spoiling the valid events of its turn', async () => {
    const good = [event(), event()];
    const results = await Promise.allSettled([publisher.publish(good[0]!), publisher.publish({ ...event(), assertion: 'eyJ...' } as AuditEventInput), publisher.publish(good[1]!)]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((await storedJobs()).flatMap((job) => job.events.map((item) => item.id)).sort()).toEqual(good.map((item) => item.id).sort());
  });

  it('flushes what is pending on shutdown', async () => {
    const own = new AuditPublisher({ redisPrefix: prefix.prefix } as TokenServiceConfig, redis);
    const waits = [own.publish(event()), own.publish(event()), own.publish(event())];
    await own.onModuleDestroy();
    await Promise.all(waits);
    expect(await storedJobs()).toHaveLength(1);
  });

  it('rejects every waiter of an entry Redis does not take (each answers 503), and stores none of it', async () => {
    const proxy = await cuttableProxy(new URL(prefix.url));
    const cutRedis = new Redis(proxy.url, { maxRetriesPerRequest: 1, commandTimeout: 500 });
    cutRedis.on('error', () => undefined);
    await cutRedis.ping();
    const own = new AuditPublisher({ redisPrefix: prefix.prefix } as TokenServiceConfig, cutRedis);
    try {
      const events = Array.from({ length: 40 }, event);
      const publishes = events.map((item) => own.publish(item));
      proxy.cut(); // before the turn ends: the entry is sent into a dead connection
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
