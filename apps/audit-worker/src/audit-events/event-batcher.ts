/**
 * Collects events from concurrently running jobs into batches: a batch is written when
 * it is full or when the first event in it has waited `waitMs` (two writes may be in flight). Each job's promise
 * resolves only after its batch committed, so nothing is acknowledged before it is
 * stored. While Postgres cannot be reached the batch is retried with backoff (the jobs
 * stay active and locked; no attempt of theirs is used up).
 */
import { Logger } from '@nestjs/common';
import type { PreparedEvent } from '../audit-chain/chain-event';
import type { AppendResult } from '../audit-chain/chain-writer';
import { auditMetrics } from './audit-metrics';

interface Pending {
  event: PreparedEvent;
  resolve: () => void;
  reject: (error: Error) => void;
}

export interface BatcherOptions {
  batchSize: number;
  waitMs: number;
  retryMaxMs: number;
  /**
   * Batches written at once. They take turns on the chain lock, but the next one is already
   * sent and waiting in Postgres when the previous commits, which hides the round trips.
   */
  maxInFlight: number;
}

export class BatcherStoppedError extends Error {
  readonly code = 'batcher_stopped';
}

/** Postgres refused this one event for what it holds (not because it is unreachable): retrying cannot help. */
export class EventRejectedError extends Error {
  readonly code = 'audit_event_rejected';
  constructor(readonly sqlState: string) {
    // The SQLSTATE only: a database message may quote the value.
    super(`audit event refused by Postgres (SQLSTATE ${sqlState})`);
    this.name = 'EventRejectedError';
  }
}

/**
 * Whether a write error says something about the data (SQLSTATE classes 22 data exception
 * and 54 program limit, such as an oversized index row) rather than about the database
 * being unreachable, overloaded or restarting (everything else is retried; so is class 23,
 * which under the chain lock would mean a chain head out of step, not a bad event).
 */
export function refusedForContent(error: unknown): string | undefined {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return undefined;
  return ['22', '54'].includes(code.slice(0, 2)) ? code : undefined;
}

export class EventBatcher {
  private readonly logger = new Logger('EventBatcher');
  private pending: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly writes = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    private readonly append: (events: PreparedEvent[]) => Promise<AppendResult>,
    private readonly options: BatcherOptions,
  ) {}

  /** Resolves once the event is committed (or was already stored). */
  add(event: PreparedEvent): Promise<void> {
    return this.addMany([event])[0]!;
  }

  /** One promise per event, each resolving once that event is committed (or was already stored). */
  addMany(events: readonly PreparedEvent[]): Promise<void>[] {
    if (this.stopped) return events.map(() => Promise.reject(new BatcherStoppedError('the audit writer is stopping')));
    const promises = events.map(
      (event) =>
        new Promise<void>((resolve, reject) => {
          this.pending.push({ event, resolve, reject });
        }),
    );
    if (events.length > 0) this.schedule();
    return promises;
  }

  /** Refuses new events and writes what is pending once (no more retries); what fails is rejected. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.writes.size > 0 || this.pending.length > 0) {
      while (this.pending.length > 0 && this.writes.size < this.options.maxInFlight) this.startWrite();
      await Promise.all(this.writes);
    }
  }

  private schedule(): void {
    if (this.writes.size >= this.options.maxInFlight) return; // a finishing write picks the rest up
    if (this.pending.length >= this.options.batchSize) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      // A batch job may fill more than one write batch at once: use every free slot.
      while (this.pending.length >= this.options.batchSize && this.writes.size < this.options.maxInFlight) this.startWrite();
      if (this.pending.length > 0 && this.writes.size < this.options.maxInFlight) this.schedule();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.startWrite();
      }, this.options.waitMs);
    }
  }

  private startWrite(): void {
    if (this.writes.size >= this.options.maxInFlight || this.pending.length === 0) return;
    const batch = this.pending.splice(0, this.options.batchSize);
    const write: Promise<void> = this.writeWithRetry(batch).finally(() => {
      this.writes.delete(write);
      if (this.pending.length > 0) this.schedule();
    });
    this.writes.add(write);
  }

  /** One event spoiled the batch: write the events one by one so only the culprit fails. */
  private async isolateRefused(batch: Pending[], sqlState: string): Promise<void> {
    if (batch.length === 1) {
      auditMetrics.rejected.inc();
      this.logger.warn(`an audit event was refused by Postgres (SQLSTATE ${sqlState}); its job fails without retry`);
      batch[0]!.reject(new EventRejectedError(sqlState));
      return;
    }
    for (const item of batch) await this.writeWithRetry([item]);
  }

  private async writeWithRetry(batch: Pending[]): Promise<void> {
    let delayMs = 100;
    for (let attempt = 1; ; attempt += 1) {
      try {
        const endTimer = auditMetrics.writeSeconds.startTimer();
        const result = await this.append(batch.map((item) => item.event));
        endTimer();
        auditMetrics.eventsWritten.inc(result.written);
        auditMetrics.duplicates.inc(result.duplicates);
        auditMetrics.batchSize.observe(batch.length);
        for (const item of batch) item.resolve();
        return;
      } catch (error) {
        auditMetrics.writeFailures.inc();
        const sqlState = refusedForContent(error);
        if (sqlState !== undefined) {
          await this.isolateRefused(batch, sqlState);
          return;
        }
        // The cause is a database error: it names no event content.
        this.logger.warn(`writing ${batch.length} audit events failed (attempt ${attempt}): ${(error as Error).message}`);
        if (this.stopped) {
          for (const item of batch) item.reject(error as Error);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        delayMs = Math.min(delayMs * 2, this.options.retryMaxMs);
      }
    }
  }
}
