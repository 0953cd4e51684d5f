/**
 * The consumer of the audit streams (packages/contracts/src/audit-stream.ts): every shard
 * is read as consumer group `audit-worker` with a blocking XREADGROUP, under a consumer
 * name of this process alone. Enforces:
 * - an entry is acknowledged (XACK, then XDEL) only after every valid event in it is
 *   committed (EventBatcher): a worker killed before that leaves it pending, and another
 *   worker (or this one) claims it with XAUTOCLAIM once it has been idle longer than
 *   `claimIdleMs` (AUDIT_LOCK_DURATION_MS). The writer skips events already stored, so a
 *   redelivery never stores one twice;
 * - an entry that is malformed (not JSON, not 1..MAX events, or an event that breaks the
 *   contract), or holding an event Postgres refused for its content, is copied to the
 *   dead-letter stream with the reason and then acknowledged: the valid events beside it
 *   are written first, and a bad entry never blocks the others;
 * - not reading (groups not created yet, Redis down or restarting: LOADING, CLUSTERDOWN,
 *   a lost connection) is retried with backoff until it works again, and `isRunning()` is
 *   false meanwhile; a Redis that lost the groups (NOGROUP) gets them created again;
 * - at most `maxHeldEvents` events are held at once (read but not yet acknowledged).
 * On one Redis one connection reads all shards in one XREADGROUP; on a cluster the shards
 * sit in different slots, so each shard has a reader of its own.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Logger } from '@nestjs/common';
import {
  AUDIT_STREAM_FIELD,
  AUDIT_STREAM_GROUP,
  AuditBatchEnvelopeSchema,
  auditDeadLetterKey,
  auditStreamKeys,
} from '@trust-broker/contracts';
import { createRedis, redisEndpointOf, type RedisClient, type RedisClusterSeeds } from '@trust-broker/service-kit/redis';
import { prepareEvents } from '../audit-chain/chain-event';
import { auditMetrics } from './audit-metrics';
import { EventRejectedError, type EventBatcher } from './event-batcher';

export interface AuditStreamOptions {
  redisUrl: string;
  redisCluster?: RedisClusterSeeds | undefined;
  redisPrefix: string;
  /** Events read and not yet acknowledged, at most: enough to fill a batch while the others are written. */
  maxHeldEvents: number;
  /** Entries held by a consumer for longer than this are taken over (AUDIT_LOCK_DURATION_MS). */
  claimIdleMs: number;
  /** How often the shards are searched for such entries (AUDIT_STALLED_INTERVAL_MS). */
  claimEveryMs: number;
  /** How long one XREADGROUP blocks when there is nothing to read. */
  blockMs?: number;
}

type Entry = [id: string, fields: string[]];
type ReadReply = Array<[key: string, entries: Entry[]]> | null;

interface Reader {
  redis: RedisClient;
  keys: string[];
  groupsReady: boolean;
  reading: boolean;
}

const READ_COUNT = 200;
const RETRY_MAX_MS = 2000;

export class AuditStreamConsumer {
  private readonly logger = new Logger('AuditStreamConsumer');
  /** Unique per process: what a dead process held is found by its idle time, not its name. */
  readonly consumer = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  private readonly keys: string[];
  private readonly deadLetterKey: string;
  private readonly cluster: boolean;
  private readers: Reader[] = [];
  private commands: RedisClient | undefined;
  private loops: Promise<void>[] = [];
  private claimTimer: NodeJS.Timeout | undefined;
  private claiming: Promise<void> | undefined;
  private started = false;
  private stopped = false;
  /** `<key> <id>` of every entry being stored, so a claim never takes one twice. */
  private readonly held = new Set<string>();
  private heldEvents = 0;
  private roomWaiters: Array<() => void> = [];
  private readonly storing = new Set<Promise<void>>();
  private acks = new Map<string, string[]>();
  private ackScheduled = false;

  constructor(
    private readonly batcher: EventBatcher,
    private readonly options: AuditStreamOptions,
  ) {
    this.keys = auditStreamKeys(options.redisPrefix);
    this.deadLetterKey = auditDeadLetterKey(options.redisPrefix);
    this.cluster = options.redisCluster !== undefined;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    const endpoint = redisEndpointOf(this.options);
    // Queues while (re)connecting: acknowledgements wait for Redis rather than being lost.
    this.commands = createRedis(endpoint, 'queue', { enableAutoPipelining: true });
    this.commands.on('error', () => undefined);
    const groups = this.cluster ? this.keys.map((key) => [key]) : [this.keys];
    this.readers = groups.map((keys) => {
      const redis = createRedis(endpoint, 'queue');
      redis.on('error', () => undefined);
      return { redis, keys, groupsReady: false, reading: false };
    });
    this.loops = this.readers.map((reader) => this.readLoop(reader));
    this.claimTimer = setInterval(() => {
      if (!this.claiming) this.claiming = this.claimIdle().finally(() => (this.claiming = undefined));
    }, this.options.claimEveryMs);
    this.claimTimer.unref();
  }

  /** Reading every shard now: groups created, connections up, the last read answered. */
  isRunning(): boolean {
    return this.started && !this.stopped && this.readers.every((reader) => reader.groupsReady && reader.reading && reader.redis.status === 'ready');
  }

  /** Stops reading, lets what is held be written and acknowledged (up to `graceMs`), then closes. */
  async stop(graceMs: number): Promise<void> {
    if (!this.started || this.stopped) return;
    this.stopped = true;
    clearInterval(this.claimTimer);
    for (const wake of this.roomWaiters.splice(0)) wake();
    // A read in progress is let finish (its entries are held and stored): cutting it could
    // leave entries delivered to this consumer whose answer never arrived. A read that does
    // not answer (Redis away) is cut after its block time; those wait for a claim.
    const readsEnded = Promise.allSettled(this.loops).then(() => true);
    await Promise.race([readsEnded, new Promise((resolve) => setTimeout(resolve, (this.options.blockMs ?? 2000) + 1000).unref())]);
    for (const reader of this.readers) reader.redis.disconnect();
    await Promise.allSettled(this.loops);
    await this.claiming;
    const drained = Promise.allSettled([...this.storing]).then(() => false);
    const timedOut = await Promise.race([drained, new Promise<boolean>((resolve) => setTimeout(() => resolve(true), graceMs).unref())]);
    if (timedOut) {
      await this.batcher.stop();
      await Promise.allSettled([...this.storing]);
    }
    await this.flushAcks();
    this.commands?.disconnect();
  }

  private async readLoop(reader: Reader): Promise<void> {
    let delayMs = 100;
    let failing = false;
    const ids = reader.keys.map(() => '>');
    while (!this.stopped) {
      try {
        if (!reader.groupsReady) {
          await this.createGroups(reader.redis, reader.keys);
          reader.groupsReady = true;
        }
        await this.roomForMore();
        if (this.stopped) break;
        reader.reading = true;
        const reply = (await reader.redis.xreadgroup(
          'GROUP',
          AUDIT_STREAM_GROUP,
          this.consumer,
          'COUNT',
          READ_COUNT,
          'BLOCK',
          this.options.blockMs ?? 2000,
          'STREAMS',
          ...reader.keys,
          ...ids,
        )) as ReadReply;
        if (failing) this.logger.log('reading the audit streams again');
        failing = false;
        delayMs = 100;
        for (const [key, entries] of reply ?? []) this.take(key, entries);
      } catch (error) {
        reader.reading = false;
        if (this.stopped) break;
        const message = (error as Error).message;
        // The stream or its group is gone (a Redis that restarted empty): create them again.
        if (message.includes('NOGROUP')) reader.groupsReady = false;
        if (!failing) this.logger.warn(`not reading the audit streams (will keep retrying): ${message}`);
        failing = true;
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        delayMs = Math.min(delayMs * 2, RETRY_MAX_MS);
      }
    }
    reader.reading = false;
  }

  /** From the start of each stream: entries added before the group existed are read too. */
  private async createGroups(redis: RedisClient, keys: string[]): Promise<void> {
    for (const key of keys) {
      try {
        await redis.xgroup('CREATE', key, AUDIT_STREAM_GROUP, '0', 'MKSTREAM');
      } catch (error) {
        if (!(error as Error).message.includes('BUSYGROUP')) throw error;
      }
    }
  }

  private async roomForMore(): Promise<void> {
    while (this.heldEvents >= this.options.maxHeldEvents && !this.stopped) {
      await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    }
  }

  private take(key: string, entries: ReadonlyArray<Entry | null>): void {
    for (const entry of entries) {
      if (!entry) continue;
      const [id, fields] = entry;
      const name = `${key} ${id}`;
      if (this.held.has(name)) continue;
      this.held.add(name);
      const work: Promise<void> = this.store(key, id, fields)
        .catch((error: Error) => this.logger.warn(`audit entry ${id} of ${key} left for redelivery: ${error.message}`))
        .finally(() => {
          this.held.delete(name);
          this.storing.delete(work);
        });
      this.storing.add(work);
    }
  }

  /** Writes one entry's events; acknowledges it once they are committed (or dead-lettered). */
  private async store(key: string, id: string, fields: string[]): Promise<void> {
    const raw = fieldOf(fields, AUDIT_STREAM_FIELD);
    let payload: unknown;
    try {
      payload = raw === undefined ? undefined : JSON.parse(raw);
    } catch {
      payload = undefined;
    }
    const envelope = AuditBatchEnvelopeSchema.safeParse({ events: payload });
    if (!envelope.success) {
      auditMetrics.malformed.inc();
      await this.deadLetter(key, id, fields, `malformed audit entry: field "${AUDIT_STREAM_FIELD}" is not a JSON array of 1 to the maximum events`);
      return;
    }
    const { prepared, malformed } = prepareEvents(envelope.data.events);
    if (malformed.length > 0) auditMetrics.malformed.inc(malformed.length);
    this.heldEvents += prepared.length;
    let outcomes: PromiseSettledResult<void>[];
    try {
      outcomes = await Promise.allSettled(this.batcher.addMany(prepared));
    } finally {
      this.heldEvents -= prepared.length;
      if (this.heldEvents < this.options.maxHeldEvents) for (const wake of this.roomWaiters.splice(0)) wake();
    }
    const rejected = outcomes.filter((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    // Not stored for a reason a retry can fix (the writer is stopping): the entry stays pending.
    const retriable = rejected.find((outcome) => !(outcome.reason instanceof EventRejectedError));
    if (retriable) throw retriable.reason;
    if (malformed.length === 0 && rejected.length === 0) {
      this.ack(key, id);
      return;
    }
    const refused = rejected.length > 0 ? `; ${rejected.length} refused by Postgres (${(rejected[0]!.reason as Error).message})` : '';
    await this.deadLetter(
      key,
      id,
      fields,
      `audit entry: ${prepared.length - rejected.length} of ${envelope.data.events.length} events stored, ` +
        `${malformed.length} malformed${refused}${malformed.length > 0 ? `: ${malformed.join('; ')}` : ''}`,
    );
  }

  /** Kept for inspection (never silently dropped), then acknowledged. */
  private async deadLetter(key: string, id: string, fields: string[], reason: string): Promise<void> {
    this.logger.warn(`audit entry ${id} of ${key} moved to the dead letter: ${reason}`);
    await this.commands!.xadd(this.deadLetterKey, '*', 'stream', key, 'id', id, 'reason', reason.slice(0, 2000), ...fields);
    this.ack(key, id);
  }

  /** Acknowledgements of one event-loop turn go together (auto-pipelined, per shard). */
  private ack(key: string, id: string): void {
    const ids = this.acks.get(key);
    if (ids) ids.push(id);
    else this.acks.set(key, [id]);
    if (this.ackScheduled) return;
    this.ackScheduled = true;
    setImmediate(() => {
      this.ackScheduled = false;
      void this.flushAcks();
    });
  }

  private async flushAcks(): Promise<void> {
    const acks = this.acks;
    this.acks = new Map();
    await Promise.all(
      [...acks].map(async ([key, ids]) => {
        try {
          await Promise.all([this.commands!.xack(key, AUDIT_STREAM_GROUP, ...ids), this.commands!.xdel(key, ...ids)]);
        } catch (error) {
          // Stored already: a claim redelivers them and the writer skips them.
          this.logger.warn(`acknowledging ${ids.length} audit entries of ${key} failed: ${(error as Error).message}`);
        }
      }),
    );
  }

  /** Takes over entries a consumer held longer than `claimIdleMs` (a dead worker's, or an acknowledgement lost). */
  private async claimIdle(): Promise<void> {
    for (const key of this.keys) {
      if (this.stopped) return;
      try {
        let cursor = '0-0';
        do {
          const [next, entries] = (await this.commands!.xautoclaim(
            key,
            AUDIT_STREAM_GROUP,
            this.consumer,
            this.options.claimIdleMs,
            cursor,
            'COUNT',
            READ_COUNT,
          )) as [string, Array<Entry | null>, string[]?];
          cursor = next;
          if (entries.length > 0) this.take(key, entries);
          await this.roomForMore();
        } while (cursor !== '0-0' && !this.stopped);
      } catch (error) {
        const message = (error as Error).message;
        if (!message.includes('NOGROUP')) this.logger.warn(`claiming idle audit entries of ${key} failed: ${message}`);
      }
    }
  }
}

function fieldOf(fields: readonly string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}
