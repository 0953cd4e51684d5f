/**
 * The BullMQ consumer of the audit queue. Each job's payload is validated on arrival
 * (malformed: failed at once with UnrecoverableError, kept in the failed set, counted);
 * a valid event joins the current batch and the job completes only once that batch is
 * committed. Concurrency is (writes in flight + 1) batches, so a batch fills while the
 * others are being written.
 */
import { Logger } from '@nestjs/common';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { QUEUES } from '@trust-broker/contracts';
import { createRedis } from '@trust-broker/service-kit';
import { MalformedAuditEventError, prepareEvent, toChainEvent } from '../audit-chain/chain-event';
import { auditMetrics } from './audit-metrics';
import { EventRejectedError, type EventBatcher } from './event-batcher';

export interface AuditConsumerOptions {
  redisUrl: string;
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
    this.connection = createRedis(this.options.redisUrl, 'queue');
    this.worker = new Worker(QUEUES.audit, (job) => this.process(job), {
      connection: this.connection,
      prefix: this.options.redisPrefix,
      concurrency: this.options.concurrency,
      lockDuration: this.options.lockDurationMs,
      stalledInterval: this.options.stalledIntervalMs,
      // A job held by a killed worker comes back; it must never be failed for that.
      maxStalledCount: 1000,
    });
    this.worker.on('error', (error) => this.logger.warn(`queue connection: ${error.message}`));
  }

  async process(job: Job): Promise<void> {
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
