/**
 * Makes a write survive the loss of its primary: the caller's answer waits until
 * `replicas` replicas of the node that took the write have it (Redis `WAIT`).
 * - WAIT blocks the connection it is sent on, so it goes on a connection of the barrier's
 *   own (a duplicate of the caller's): the caller's connection, shared by every request,
 *   never waits behind it. WAIT covers the writes made on its own connection, so each
 *   round first writes a small marker beside the caller's key (same hash slot, same
 *   node) after the callers' writes were answered: replicas that hold the marker hold
 *   everything the node took before it;
 * - group commit: callers whose write is done join the next round on that node (at most
 *   one round in flight per node), one marker and one WAIT for all of them;
 * - a node with no connected replica is not waited for: nothing could be promoted in its
 *   place and lose the write (its replica count is read with ROLE at most once a second);
 * - a slot that moved to another node between the write and the WAIT fails the waiters:
 *   the WAIT would not cover their write;
 * - fewer acknowledgements than asked within the timeout: RedisReplicationError.
 */
import { Cluster } from 'ioredis';
import type { RedisClient } from './redis';

/** Fewer replicas than asked for acknowledged a write in time (Redis `WAIT`). */
export class RedisReplicationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RedisReplicationError';
  }
}

const ROLE_TTL_MS = 1000;
const MARKER_TTL_MS = 60_000;

export class ReplicationBarrier {
  private readonly nodes = new Map<string, NodeBarrier>();
  /** The barrier's own connection (WAIT blocks it), made only when there is something to wait for. */
  private readonly waiter: RedisClient | undefined;

  constructor(
    private readonly redis: RedisClient,
    private readonly replicas: number,
    private readonly timeoutMs: number,
  ) {
    if (replicas > 0) {
      // Queues while it (re)connects: the rounds are bounded by the WAIT timeout anyway.
      this.waiter = redis instanceof Cluster ? redis.duplicate(undefined, { enableOfflineQueue: true }) : redis.duplicate({ enableOfflineQueue: true });
      this.waiter.on('error', () => undefined);
    }
  }

  /** Closes the barrier's connection (module shutdown). */
  close(): void {
    this.waiter?.disconnect();
  }

  /** Resolves once the write to `key` this connection made is on enough replicas; throws otherwise. */
  async afterWrite(key: string): Promise<void> {
    if (this.replicas <= 0) return;
    const node = this.nodeOf(key);
    let barrier = this.nodes.get(node);
    if (!barrier) {
      barrier = new NodeBarrier(this, node);
      this.nodes.set(node, barrier);
    }
    return barrier.join(key);
  }

  /** The node serving `key` now: `host:port` on a cluster; one Redis is one node. */
  nodeOf(key: string): string {
    if (!(this.redis instanceof Cluster)) return 'redis';
    const slot = keySlot(key);
    return this.redis.slots[slot]?.[0] ?? `unmapped-slot-${slot}`;
  }

  /** One marker and one WAIT on the node of `key`; resolves once enough replicas hold them, or throws. */
  async waitOnce(key: string, knownReplicas: () => Promise<number>): Promise<void> {
    const need = Math.min(this.replicas, await knownReplicas());
    if (need === 0) return;
    const results = (await this.waiter!.pipeline().set(markerKeyBeside(key, this.redis instanceof Cluster), '1', 'PX', MARKER_TTL_MS).wait(need, this.timeoutMs).exec()) ?? [];
    const [error, acknowledged] = results[1] ?? [new Error('no answer to WAIT'), 0];
    if (error) throw error;
    if (Number(acknowledged) < need) throw new RedisReplicationError(`${String(acknowledged)} of ${need} Redis replica(s) acknowledged the write`);
  }

  /** Replicas connected to the node serving `key` (ROLE). */
  async connectedReplicas(key: string): Promise<number> {
    const results = (await this.waiter!.pipeline().exists(markerKeyBeside(key, this.redis instanceof Cluster)).role().exec()) ?? [];
    const [error, role] = results[1] ?? [new Error('no answer to ROLE'), undefined];
    if (error) throw error;
    return Array.isArray(role) && role[0] === 'master' && Array.isArray(role[2]) ? role[2].length : 0;
  }
}

interface Waiter {
  key: string;
  resolve: () => void;
  reject: (error: Error) => void;
}

class NodeBarrier {
  private waiters: Waiter[] = [];
  private running = false;
  private replicas: { count: number; readAt: number } | undefined;

  constructor(
    private readonly owner: ReplicationBarrier,
    private readonly node: string,
  ) {}

  join(key: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ key, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  /** Each round's WAIT is sent after every write of the waiters it serves had its answer. */
  private async drain(): Promise<void> {
    this.running = true;
    while (this.waiters.length > 0) {
      const batch = this.waiters.splice(0);
      const moved = batch.filter((waiter) => this.owner.nodeOf(waiter.key) !== this.node);
      for (const waiter of moved) waiter.reject(new RedisReplicationError('the slot moved to another node before its write was replicated'));
      const staying = batch.filter((waiter) => !moved.includes(waiter));
      if (staying.length === 0) continue;
      try {
        await this.owner.waitOnce(staying[0]!.key, () => this.knownReplicas(staying[0]!.key));
        for (const waiter of staying) waiter.resolve();
      } catch (error) {
        this.replicas = undefined;
        for (const waiter of staying) waiter.reject(error as Error);
      }
    }
    this.running = false;
  }

  private async knownReplicas(key: string): Promise<number> {
    if (this.replicas && Date.now() - this.replicas.readAt < ROLE_TTL_MS) return this.replicas.count;
    const count = await this.owner.connectedReplicas(key);
    this.replicas = { count, readAt: Date.now() };
    return count;
  }
}

/** The Redis Cluster hash slot of `key` (CRC16/XMODEM of the key or of its `{hash tag}`, mod 16384). */
export function keySlot(key: string): number {
  let bytes = Buffer.from(key);
  const open = bytes.indexOf(0x7b);
  if (open >= 0) {
    const close = bytes.indexOf(0x7d, open + 1);
    if (close > open + 1) bytes = bytes.subarray(open + 1, close);
  }
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

/**
 * The marker a round writes before its WAIT, on the node of `key`: its hash tag kept with
 * what precedes it (`tb:{replay:3}:...` gives `tb:{replay:3}:replication-barrier`); on a
 * cluster, a key without a tag becomes the tag (one marker per such key: give keys you
 * wait on a tag); on one Redis, the key's first segment (the prefix) is enough.
 */
export function markerKeyBeside(key: string, cluster: boolean): string {
  const open = key.indexOf('{');
  const close = open >= 0 ? key.indexOf('}', open + 1) : -1;
  if (close > open + 1) return `${key.slice(0, close + 1)}:replication-barrier`;
  if (cluster) return `{${key}}:replication-barrier`;
  const colon = key.indexOf(':');
  return `${colon > 0 ? key.slice(0, colon) : key}:replication-barrier`;
}
