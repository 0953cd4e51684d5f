/**
 * The BullMQ consumer of the audit queue. A job carries one event (`audit`) or a batch
 * (`audit-batch`, `{events}`; see packages/contracts/src/audit-event.ts). Each event is
 * validated on arrival; valid events join the current write batch and the job completes
 * only once every one of its events is committed. A malformed event (or one Postgres
 * refuses for its content) fails its job without retry (UnrecoverableError, kept in the
 * failed set, counted); in a batch job the valid events beside it are written first.
 * Concurrency is (writes in flight + 1) write batches of jobs, so a batch fills while the
 * others are being written.
 */
import { Logger } from '@nestjs/common';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { AUDIT_JOB_NAMES, AuditBatchEnvelopeSchema, QUEUES } from '@trust-broker/contracts';
import { createRedis, keyspaceOf, redisEndpointOf, type RedisClusterSeeds } from '@trust-broker/service-kit/redis';
import { MalformedAuditEventError, prepareEvent, toChainEvent, type PreparedEvent } from '../audit-chain/chain-event';
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

export class AuditEventProcessor {
  private readonly logger = new Logger('AuditEventProcessor');
  private worker: Worker | undefined;
  private connection: ReturnType<typeof createRedis> | undefined;

  constructor(
    private readonly batcher: EventBatcher,
    private readonly options: AuditConsumerOptions,
  ) {}

  start(): void {
    this.connection = createRedis(redisEndpointOf(this.options), 'queue');
    this.worker = new Worker(QUEUES.audit, (job) => this.process(job), {
      connection: this.connection,
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
    const prepared: PreparedEvent[] = [];
    const malformed: string[] = [];
    envelope.data.events.forEach((payload, index) => {
      try {
        prepared.push(prepareEvent(toChainEvent(payload)));
      } catch (error) {
        if (!(error instanceof MalformedAuditEventError)) throw error;
        auditMetrics.malformed.inc();
        malformed.push(`events.${index}: ${error.problems.join(', ')}`);
      }
    });
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
    if (!this.worker) return;
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
    this.connection?.disconnect();
  }

  isRunning(): boolean {
    return this.worker?.isRunning() ?? false;
  }
}
