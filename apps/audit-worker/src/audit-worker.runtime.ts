/**
 * What the running worker holds (composed by AppModule's providers). It starts the
 * stream consumer (and the drain of the legacy queue) and the checkpoint and retention timers, registers the readiness checks, and
 * stops in order on shutdown: stop taking jobs, write what is pending, then close the
 * connections.
 */
import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { RedisClient } from '@trust-broker/service-kit/redis';
import type { ReadinessRegistry } from '@trust-broker/service-kit/nest';
import type { ChainWriter } from './audit-chain/chain-writer';
import { auditMetrics } from './audit-events/audit-metrics';
import type { AuditStreamConsumer } from './audit-events/audit-stream.consumer';
import type { EventBatcher } from './audit-events/event-batcher';
import type { LegacyAuditQueueDrain } from './audit-events/legacy-audit-queue';
import type { RetentionService } from './retention/retention.service';

const RETENTION_EVERY_MS = 3600 * 1000;
const SHUTDOWN_GRACE_MS = 10_000;

export class AuditWorkerRuntime {
  private readonly logger = new Logger('AuditWorker');
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    readonly dataSource: DataSource,
    private readonly redis: RedisClient,
    private readonly writer: ChainWriter,
    private readonly batcher: EventBatcher,
    private readonly consumer: AuditStreamConsumer,
    private readonly legacyQueue: LegacyAuditQueueDrain,
    private readonly retention: RetentionService,
    private readonly checkpointIntervalMs: number,
  ) {}

  registerReadiness(readiness: ReadinessRegistry): void {
    readiness.register('postgres', async () => {
      await this.dataSource.query('SELECT 1');
    });
    readiness.register('redis', async () => {
      await this.redis.ping();
    });
    // Not ready while it is not reading every audit stream (groups not created, Redis away).
    readiness.register('audit_streams', () => {
      if (!this.consumer.isRunning()) throw new Error('not reading the audit streams');
      return Promise.resolve();
    });
  }

  start(): void {
    this.consumer.start();
    this.legacyQueue.start();
    // Check often, sign only when the head moved and the interval passed.
    this.every(Math.min(this.checkpointIntervalMs, 1000), () => this.checkpoint());
    this.every(RETENTION_EVERY_MS, () => this.prune());
    void this.prune();
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    await Promise.all([this.consumer.stop(SHUTDOWN_GRACE_MS), this.legacyQueue.stop(SHUTDOWN_GRACE_MS)]);
    await this.batcher.stop();
  }

  async close(): Promise<void> {
    this.redis.disconnect();
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }

  private every(ms: number, task: () => Promise<void>): void {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      void task().finally(() => (running = false));
    }, ms);
    timer.unref();
    this.timers.push(timer);
  }

  private async checkpoint(): Promise<void> {
    try {
      if (await this.writer.checkpointIfDue(this.checkpointIntervalMs)) auditMetrics.checkpoints.inc();
    } catch (error) {
      this.logger.warn(`checkpoint failed: ${(error as Error).message}`);
    }
  }

  private async prune(): Promise<void> {
    try {
      const result = await this.retention.prune();
      if (result.prunedEvents > 0) this.logger.log(`retention pruned ${result.prunedEvents} events up to checkpoint ${result.anchorSeq}`);
    } catch (error) {
      this.logger.warn(`retention pruning failed: ${(error as Error).message}`);
    }
  }
}
