/**
 * REDIS_WAIT_REPLICAS (README "Redis keys"): the ReplicationBarrier that the replay guard,
 * the audit publisher and the revocation store wait on, against a primary and a replica
 * of the test's own (redis-server, ports 7100-7199). A write it lets through is on the
 * replica; many writes share few WAITs; a replica that does not acknowledge makes it
 * fail (the caller answers 503) and never holds up the caller's connection meanwhile; a
 * primary with no replica connected is not waited for.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { RedisReplicationError, ReplicationBarrier } from '@trust-broker/service-kit/redis';
import { eventually, getFreePortIn, OwnRedisServer } from '@trust-broker/testing';

jest.setTimeout(120_000);

let primary: OwnRedisServer;
let replica: OwnRedisServer;
let client: Redis;
let replicaClient: Redis;
let replicaDir: string;
const barriers: ReplicationBarrier[] = [];

function barrierOf(replicas: number, timeoutMs: number): ReplicationBarrier {
  const barrier = new ReplicationBarrier(client, replicas, timeoutMs);
  barriers.push(barrier);
  return barrier;
}

async function connectedReplicas(): Promise<number> {
  const role = (await client.call('ROLE')) as [string, number, unknown[]];
  return role[2].length;
}

beforeAll(async () => {
  primary = await OwnRedisServer.start({ port: await getFreePortIn(7100, 7199) });
  const replicaPort = await getFreePortIn(7100, 7199, (port) => port === primary.port);
  // The replica's full sync writes an RDB file: in a directory of its own, not the working directory.
  replicaDir = mkdtempSync(join(tmpdir(), 'tb-replica-'));
  replica = await OwnRedisServer.start({ port: replicaPort, args: ['--replicaof', '127.0.0.1', String(primary.port), '--dir', replicaDir] });
  client = new Redis(primary.url, { maxRetriesPerRequest: 1 });
  replicaClient = new Redis(replica.url, { maxRetriesPerRequest: 1 });
  await eventually(async () => (await connectedReplicas()) === 1, 20_000, 100);
});

afterAll(async () => {
  for (const barrier of barriers) barrier.close();
  client?.disconnect();
  replicaClient?.disconnect();
  await replica?.stop();
  await primary?.stop();
  if (replicaDir) rmSync(replicaDir, { recursive: true, force: true });
});

async function waitCalls(): Promise<number> {
  const stats = await client.info('commandstats');
  return Number(/cmdstat_wait:calls=(\d+)/.exec(stats)?.[1] ?? 0);
}

it('a write it lets through is on the replica already; concurrent writes share WAITs', async () => {
  const barrier = barrierOf(1, 1000);
  await client.set('wait:one', '1');
  await barrier.afterWrite('wait:one');
  expect(await replicaClient.get('wait:one')).toBe('1');

  const before = await waitCalls();
  const keys = Array.from({ length: 200 }, (_, i) => `wait:many:${i}`);
  await Promise.all(keys.map(async (key) => {
    await client.set(key, '1');
    await barrier.afterWrite(key);
  }));
  expect(await replicaClient.exists(...keys)).toBe(keys.length);
  const used = (await waitCalls()) - before;
  expect(used).toBeGreaterThan(0);
  expect(used).toBeLessThan(keys.length / 2);
});

it('a replica that does not acknowledge: RedisReplicationError after the timeout, never a pass', async () => {
  const barrier = barrierOf(1, 300);
  await barrier.afterWrite('wait:warm');
  process.kill(replica.pid!, 'SIGSTOP');
  try {
    await client.set('wait:stalled', '1');
    const started = Date.now();
    const waiting = barrier.afterWrite('wait:stalled');
    // The WAIT blocks the barrier's own connection, not the one every request shares.
    const pinged = Date.now();
    expect(await client.ping()).toBe('PONG');
    expect(Date.now() - pinged).toBeLessThan(200);
    await expect(waiting).rejects.toBeInstanceOf(RedisReplicationError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  } finally {
    process.kill(replica.pid!, 'SIGCONT');
  }
  await eventually(async () => (await replicaClient.get('wait:stalled')) === '1', 20_000, 100);
});

it('REDIS_WAIT_REPLICAS=0 never waits; a primary with no replica connected is not waited for', async () => {
  await client.set('wait:off', '1');
  await barrierOf(0, 1000).afterWrite('wait:off');
  const before = await waitCalls();
  await replica.stop();
  await eventually(async () => (await connectedReplicas()) === 0, 20_000, 100);
  const barrier = barrierOf(1, 1000);
  await client.set('wait:alone', '1');
  const started = Date.now();
  await barrier.afterWrite('wait:alone');
  expect(Date.now() - started).toBeLessThan(500);
  expect(await waitCalls()).toBe(before);
});
