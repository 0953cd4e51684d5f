/**
 * Drains the former audit queue (BullMQ, QUEUES.audit) once, at start: audit events go to
 * the streams now (audit-stream.consumer.ts), but an upgrade may find jobs an older
 * token-service or issuer-registry added, or that an older worker held when it stopped.
 * When the queue holds no job at start nothing is started; otherwise a BullMQ worker runs
 * until the queue has nothing waiting, delayed or active, then closes. Failed jobs stay in
 * the failed set, as before (kept for inspection). What follows is the consumer as it was.
 * A job carries one event (`audit`) or a batch
 * (`audit-batch`, `{events}`; see packages/contracts/src/audit-event.ts). Each event is
 * validated on arrival; valid events join the current write batch and the job completes
 * only once every one of its events is committed. A malformed event (or one Postgres
 * refuses for its content) fails its job without retry (UnrecoverableError, kept in the
 * failed set, counted); in a batch job the valid events beside it are written first.
 * Concurrency is (writes in flight + 1) write batches of jobs, so a batch fills while the
 * others are being written.
 */
import { Logger } from '@nestjs/common';
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { AUDIT_JOB_NAMES, AuditBatchEnvelopeSchema, QUEUES } from '@trust-broker/contracts';
import { createRedis, keyspaceOf, redisEndpointOf, type RedisClusterSeeds } from '@trust-broker/service-kit/redis';
import { MalformedAuditEventError, prepareEvent, prepareEvents, toChainEvent } from '../audit-chain/chain-event';
import { auditMetrics } from './audit-metrics';
import { EventRejectedError, type EventBatcher } from './event-batcher';

export interface AuditConsumerOptions {
  redisUrl: string;
  redisCluster?: RedisClusterSeeds | undefined;
  redisPrefix: string;
  /** Jobs held at once: enough to fill a batch while the others are being written. */
  concurrency: number;
  lockDurationMs: number;
  stalledIntervalMs: number;
}

const POLL_MS = 1000;
const LEFT_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children'] as const;

export class LegacyAuditQueueDrain {
  private readonly logger = new Logger('LegacyAuditQueueDrain');
  private worker: Worker | undefined;
  private queue: Queue | undefined;
  private connection: ReturnType<typeof createRedis> | undefined;
  private stopped = false;
  private draining: Promise<void> | undefined;

  constructor(
    private readonly batcher: EventBatcher,
    private readonly options: AuditConsumerOptions,
  ) {}

  /** Starts the drain in the background; `done()` resolves when the queue is empty (or the drain stopped). */
  start(): void {
    this.connection = createRedis(redisEndpointOf(this.options), 'queue');
    this.connection.on('error', () => undefined);
    this.queue = new Queue(QUEUES.audit, { connection: this.connection, prefix: keyspaceOf(this.options).queuePrefix });
    this.queue.on('error', () => undefined);
    this.draining = this.drain().catch((error: Error) => this.logger.warn(`draining the legacy audit queue stopped: ${error.message}`));
  }

  done(): Promise<void> {
    return this.draining ?? Promise.resolve();
  }

  private async left(): Promise<number> {
    const counts = await this.queue!.getJobCounts(...LEFT_STATES);
    return Object.values(counts).reduce((sum, count) => sum + count, 0);
  }

  private async drain(): Promise<void> {
    let left = await this.left();
    if (left === 0 || this.stopped) return;
    this.logger.log(`draining ${left} job(s) left in the legacy audit queue`);
    this.startWorker();
    while (!this.stopped) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      left = await this.left();
      if (left === 0) break;
    }
    if (this.stopped) return;
    await this.worker?.close();
    this.worker = undefined;
    this.logger.log('the legacy audit queue is drained');
  }

  private startWorker(): void {
    this.worker = new Worker(QUEUES.audit, (job) => this.process(job), {
      connection: this.connection!,
      prefix: keyspaceOf(this.options).queuePrefix,
      concurrency: this.options.concurrency,
      lockDuration: this.options.lockDurationMs,
      stalledInterval: this.options.stalledIntervalMs,
      // A job held by a killed worker comes back; it must never be failed for that.
      maxStalledCount: 1000,
    });
    this.worker.on('error', (error) => this.logger.warn(`queue connection: ${error.message}`));
  }

  async process(job: Job): Promise<void> {
    if (job.name === AUDIT_JOB_NAMES.batch) return this.processBatch(job);
    let event;
    try {
      event = toChainEvent(job.data);
    } catch (error) {
      if (!(error instanceof MalformedAuditEventError)) throw error;
      auditMetrics.malformed.inc();
      this.logger.warn(`audit job ${job.id} failed without retry: ${error.message}`);
      throw new UnrecoverableError(error.message);
    }
    try {
      await this.batcher.add(prepareEvent(event));
    } catch (error) {
      if (error instanceof EventRejectedError) throw new UnrecoverableError(error.message);
      throw error;
    }
  }

  /**
   * A batch job: every valid event is written (and committed) before the job settles; the
   * malformed ones are counted one by one and then fail the job without retry. An envelope
   * that is not `{events: [1..MAX]}` fails it at once (nothing of it is written).
   */
  private async processBatch(job: Job): Promise<void> {
    const envelope = AuditBatchEnvelopeSchema.safeParse(job.data);
    if (!envelope.success) {
      auditMetrics.malformed.inc();
      const problems = envelope.error.issues.map((issue) => `${issue.path.join('.') || '(batch)'}: ${issue.code}`);
      const message = `malformed audit batch: ${problems.join('; ')}`;
      this.logger.warn(`audit job ${job.id} failed without retry: ${message}`);
      throw new UnrecoverableError(message);
    }
    const { prepared, malformed } = prepareEvents(envelope.data.events);
    if (malformed.length > 0) auditMetrics.malformed.inc(malformed.length);
    const outcomes = await Promise.allSettled(this.batcher.addMany(prepared));
    const rejected = outcomes.filter((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    // Not stored for a reason a retry can fix (the writer is stopping): the job comes back.
    const retriable = rejected.find((outcome) => !(outcome.reason instanceof EventRejectedError));
    if (retriable) throw retriable.reason;
    if (malformed.length === 0 && rejected.length === 0) return;
    const refused = rejected.length > 0 ? `; ${rejected.length} refused by Postgres (${(rejected[0]!.reason as Error).message})` : '';
    const message =
      `audit batch: ${prepared.length - rejected.length} of ${envelope.data.events.length} events stored, ` +
      `${malformed.length} malformed${refused}${malformed.length > 0 ? `: ${malformed.join('; ')}` : ''}`;
    this.logger.warn(`audit job ${job.id} failed without retry: ${message}`);
    throw new UnrecoverableError(message);
  }

  /** Stops taking jobs and lets the active ones finish (their batch gets written). */
  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    if (!this.worker) {
      await this.queue?.close().catch(() => undefined);
      this.connection?.disconnect();
      return;
    }
    const worker = this.worker;
    const graceful = worker.close();
    const timedOut = await Promise.race([
      graceful.then(() => false),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(true), graceMs).unref()),
    ]);
    if (timedOut) {
      await this.batcher.stop();
      await worker.close(true);
    }
    await this.queue?.close().catch(() => undefined);
    this.connection?.disconnect();
  }
}
