/**
 * Runs the built worker (dist/main.js) as a real process against a fresh database and
 * Redis prefix, and speaks to it the way producers and operators do: the BullMQ queue,
 * HTTP, and SQL for counting.
 */
import { join } from 'node:path';
import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { Client } from 'pg';
import { AUDIT_JOB_NAMES, auditBatchJobId, DEFAULT_JOB_OPTIONS, QUEUES, type AuditEventInput } from '@trust-broker/contracts';
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
  readonly queue: Queue;
  readonly pg: Client;

  private constructor(
    readonly db: TestDatabase,
    readonly redisPrefix: TestRedisPrefix,
  ) {
    this.connection = new Redis(redisPrefix.url, { maxRetriesPerRequest: null });
    this.queue = new Queue(QUEUES.audit, { connection: this.connection, prefix: redisPrefix.prefix });
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

  async enqueue(events: AuditEventInput[], jobIds: (event: AuditEventInput, index: number) => string = (event) => String(event.id)): Promise<void> {
    for (let offset = 0; offset < events.length; offset += 500) {
      await this.queue.addBulk(
        events.slice(offset, offset + 500).map((event, index) => ({
          name: 'audit',
          data: event,
          opts: { ...DEFAULT_JOB_OPTIONS, jobId: jobIds(event, offset + index) },
        })),
      );
    }
  }

  /** Enqueues the events as `audit-batch` jobs of `size` events each (as token-service sends them); returns the job ids. */
  async enqueueBatches(events: AuditEventInput[], size: number): Promise<string[]> {
    const jobs = [];
    for (let offset = 0; offset < events.length; offset += size) {
      const slice = events.slice(offset, offset + size);
      jobs.push({ name: AUDIT_JOB_NAMES.batch, data: { events: slice }, opts: { ...DEFAULT_JOB_OPTIONS, jobId: auditBatchJobId(slice.map((event) => String(event.id))) } });
    }
    for (let offset = 0; offset < jobs.length; offset += 200) await this.queue.addBulk(jobs.slice(offset, offset + 200));
    return jobs.map((job) => job.opts.jobId);
  }

  /** Enqueues raw payloads (maybe malformed) under the given job ids (job name `audit` unless given). */
  async enqueueRaw(payloads: Array<{ jobId: string; data: unknown; name?: string }>): Promise<void> {
    await this.queue.addBulk(payloads.map(({ jobId, data, name }) => ({ name: name ?? 'audit', data, opts: { ...DEFAULT_JOB_OPTIONS, jobId } })));
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

/** Reads one sample of a Prometheus counter or gauge from GET /metrics. */
export async function readMetric(worker: RunningWorker, name: string): Promise<number> {
  const text = await fetch(`${worker.url}/metrics`).then((response) => response.text());
  const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}
