/**
 * Runs the built worker (dist/main.js) as a real process against a fresh database and
 * Redis prefix, and speaks to it the way producers and operators do: the audit streams
 * (XADD), the legacy BullMQ queue (what an older release left), HTTP, and SQL for counting.
 */
import { join } from 'node:path';
import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { Client } from 'pg';
import {
  AUDIT_STREAM_FIELD,
  AUDIT_STREAM_GROUP,
  auditDeadLetterKey,
  auditStreamKeys,
  DEFAULT_JOB_OPTIONS,
  QUEUES,
  type AuditEventInput,
} from '@trust-broker/contracts';
import {
  createTestDatabase,
  createTestRedisPrefix,
  getFreePort,
  randomKeyEncryptionKey,
  startNodeProcess,
  waitForHttp,
  type RunningProcess,
  type TestDatabase,
  type TestRedisPrefix,
} from '@trust-broker/testing';

export const ADMIN_KEY = 'test-admin-key-0123456789abcdef';
const MAIN = join(__dirname, '..', 'dist', 'main.js');

export interface RunningWorker {
  process: RunningProcess;
  url: string;
}

export class WorkerHarness {
  readonly keyEncryptionKey = randomKeyEncryptionKey();
  private readonly workers: RunningWorker[] = [];
  private readonly connection: Redis;
  /** The legacy BullMQ audit queue (drained once at start). */
  readonly queue: Queue;
  readonly redis: Redis;
  readonly pg: Client;
  private readonly producer: StreamProducer;

  private constructor(
    readonly db: TestDatabase,
    readonly redisPrefix: TestRedisPrefix,
  ) {
    this.connection = new Redis(redisPrefix.url, { maxRetriesPerRequest: null });
    this.queue = new Queue(QUEUES.audit, { connection: this.connection, prefix: redisPrefix.prefix });
    this.redis = this.connection;
    this.producer = new StreamProducer(this.connection, redisPrefix.prefix);
    this.pg = new Client({ connectionString: db.url });
  }

  static async create(label: string): Promise<WorkerHarness> {
    const harness = new WorkerHarness(await createTestDatabase(label), createTestRedisPrefix(label));
    await harness.pg.connect();
    return harness;
  }

  /** Starts a worker process and waits until it is ready. */
  async startWorker(env: Record<string, string> = {}): Promise<RunningWorker> {
    const port = await getFreePort();
    const process = startNodeProcess(MAIN, {
      DATABASE_URL: this.db.url,
      REDIS_URL: this.redisPrefix.url,
      REDIS_PREFIX: this.redisPrefix.prefix,
      AUDIT_WORKER_PORT: String(port),
      ADMIN_API_KEY: ADMIN_KEY,
      KEY_ENCRYPTION_KEY: this.keyEncryptionKey,
      LOG_LEVEL: 'warn',
      AUDIT_LOCK_DURATION_MS: '4000',
      AUDIT_STALLED_INTERVAL_MS: '1000',
      ...env,
    });
    const worker = { process, url: `http://127.0.0.1:${port}` };
    this.workers.push(worker);
    try {
      await waitForHttp(`${worker.url}/healthz`, 60_000);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${process.output()}`);
    }
    return worker;
  }

  async enqueue(events: AuditEventInput[]): Promise<void> {
    await this.producer.enqueue(events);
  }

  async enqueueBatches(events: AuditEventInput[], size: number): Promise<string[]> {
    return this.producer.enqueueBatches(events, size);
  }

  async enqueueRaw(entries: string[][]): Promise<string[]> {
    return this.producer.enqueueRaw(entries);
  }

  /** Adds jobs to the legacy BullMQ queue, as an older release did (one event per `audit` job). */
  async enqueueLegacy(events: AuditEventInput[]): Promise<void> {
    await this.queue.addBulk(events.map((event) => ({ name: 'audit', data: event, opts: { ...DEFAULT_JOB_OPTIONS, jobId: String(event.id) } })));
  }

  /** Entries still in the streams, and those read but not acknowledged (all shards). */
  async backlog(): Promise<{ entries: number; pending: number }> {
    let entries = 0;
    let pending = 0;
    for (const key of auditStreamKeys(this.redisPrefix.prefix)) {
      entries += await this.connection.xlen(key);
      try {
        const summary = (await this.connection.xpending(key, AUDIT_STREAM_GROUP)) as [number, ...unknown[]];
        pending += Number(summary[0]);
      } catch {
        // No group yet: nothing pending.
      }
    }
    return { entries, pending };
  }

  /** The dead-letter stream's entries as field maps. */
  async deadLetters(): Promise<Array<Record<string, string>>> {
    const entries = (await this.connection.xrange(auditDeadLetterKey(this.redisPrefix.prefix), '-', '+')) as Array<[string, string[]]>;
    return entries.map(([, fields]) => {
      const map: Record<string, string> = {};
      for (let i = 0; i + 1 < fields.length; i += 2) map[fields[i]!] = fields[i + 1]!;
      return map;
    });
  }

  async storedCounts(): Promise<{ rows: number; ids: number; top: number }> {
    const { rows } = await this.pg.query(
      `SELECT count(*)::int AS rows, count(DISTINCT id)::int AS ids, coalesce(max(seq), 0)::int AS top FROM audit.events`,
    );
    return rows[0];
  }

  /** A full walk: what these tests check (nothing lost, no fork after a crash) is the whole chain. */
  async verify(worker: RunningWorker): Promise<unknown> {
    const response = await fetch(`${worker.url}/v1/audit/verify?full=true`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    return response.json();
  }

  async close(): Promise<void> {
    for (const worker of this.workers) await worker.process.kill('SIGKILL');
    await this.queue.close();
    this.connection.disconnect();
    await this.pg.end();
    await this.redisPrefix.clear();
    await this.db.drop();
  }
}

/** Appends audit stream entries as the producers do (XADD, spread over the shards). */
export class StreamProducer {
  private shard = 0;

  constructor(
    private readonly connection: Redis,
    private readonly prefix: string,
  ) {}

  /** Appends one stream entry per event, spread over the shards as producers do. */
  async enqueue(events: AuditEventInput[]): Promise<void> {
    await this.enqueueBatches(events, 1);
  }

  /** Appends the events as entries of `size` events each (as token-service sends one event-loop turn); returns the entry ids. */
  async enqueueBatches(events: AuditEventInput[], size: number): Promise<string[]> {
    const values: string[] = [];
    for (let offset = 0; offset < events.length; offset += size) values.push(JSON.stringify(events.slice(offset, offset + size)));
    return this.enqueueRaw(values.map((value) => [AUDIT_STREAM_FIELD, value]));
  }

  /** Appends raw entries (field/value lists, maybe malformed); returns their `<key> <id>`. */
  async enqueueRaw(entries: string[][]): Promise<string[]> {
    const keys = auditStreamKeys(this.prefix);
    const ids: string[] = [];
    for (let offset = 0; offset < entries.length; offset += 500) {
      const pipeline = this.connection.pipeline();
      const slice = entries.slice(offset, offset + 500);
      const targets = slice.map(() => keys[this.shard++ % keys.length]!);
      slice.forEach((fields, index) => pipeline.xadd(targets[index]!, '*', ...fields));
      const results = (await pipeline.exec()) ?? [];
      results.forEach(([error, id], index) => {
        if (error) throw error;
        ids.push(`${targets[index]} ${String(id)}`);
      });
    }
    return ids;
  }
}

/** Reads one sample of a Prometheus counter or gauge from GET /metrics. */
export async function readMetric(worker: RunningWorker, name: string): Promise<number> {
  const text = await fetch(`${worker.url}/metrics`).then((response) => response.text());
  const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}
