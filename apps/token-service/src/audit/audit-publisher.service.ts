/**
 * Enqueues audit events on the audit queue (QUEUES.audit, BullMQ, under REDIS_PREFIX)
 * for audit-worker, with group commit. Enforces:
 * - the event is validated against the contract first (no unknown field can carry a secret);
 * - `publish()` resolves only once the job holding the event is stored in Redis, and throws
 *   when Redis does not take it (or does not answer within PUBLISH_TIMEOUT_MS): callers
 *   answer 503 and issue nothing;
 * - every event produced in one event-loop turn goes in ONE job: the buffer is flushed on
 *   `setImmediate`, or at once when it holds MAX_AUDIT_BATCH_EVENTS. Several events go as an
 *   `audit-batch` job (`{events}`, jobId = auditBatchJobId(ids)); a lone event goes as today's
 *   single-event `audit` job (jobId = its id), so a quiet service sends what it always sent;
 * - a failed or timed-out add rejects every waiter of that job (each answers 503); so does
 *   one that fewer than REDIS_WAIT_REPLICAS replicas acknowledged in time;
 * - shutdown flushes what is pending before the queue is closed.
 * A job id is deterministic in its events, so a retried add never makes a duplicate job;
 * audit-worker is idempotent on event ids in any case.
 */
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Queue } from 'bullmq';
import {
  AUDIT_JOB_NAMES,
  auditBatchJobId,
  DEFAULT_JOB_OPTIONS,
  MAX_AUDIT_BATCH_EVENTS,
  parseAuditEvent,
  QUEUES,
  type AuditEvent,
  type AuditEventInput,
} from '@trust-broker/contracts';
import { RequestLogger } from '@trust-broker/service-kit/logging';
import { keyspaceOf, ReplicationBarrier, type RedisClient } from '@trust-broker/service-kit/redis';
import { TOKEN_SERVICE_CONFIG, type TokenServiceConfig } from '../config/token-service.config';
import { QUEUE_PRODUCER_REDIS } from '../redis/redis.module';
import { AuditUnavailableError } from './audit.errors';

/** Longer than the request connection's command timeout, as a last guard against a hang. */
const PUBLISH_TIMEOUT_MS = 2000;

interface Waiter {
  event: AuditEvent;
  resolve: () => void;
  reject: (error: Error) => void;
}

@Injectable()
export class AuditPublisher implements OnModuleDestroy {
  private readonly logger = new RequestLogger(AuditPublisher.name);
  private readonly queue: Queue;
  private pending: Waiter[] = [];
  private flushScheduled = false;
  private readonly inFlight = new Set<Promise<void>>();
  /** With REDIS_WAIT_REPLICAS: a job counts once that many replicas hold it. */
  private readonly replicatedJobs: ReplicationBarrier;

  constructor(
    @Inject(TOKEN_SERVICE_CONFIG) config: TokenServiceConfig,
    @Inject(QUEUE_PRODUCER_REDIS) private readonly redis: RedisClient,
  ) {
    this.queue = new Queue(QUEUES.audit, { connection: redis, prefix: keyspaceOf(config).queuePrefix });
    this.queue.on('error', () => undefined);
    const wait = config.redisWait ?? { replicas: 0, timeoutMs: 0 };
    this.replicatedJobs = new ReplicationBarrier(redis, wait.replicas, wait.timeoutMs);
  }

  /** Resolves once the job holding the event is stored in Redis; throws AuditUnavailableError otherwise. */
  publish(event: AuditEventInput): Promise<void> {
    let payload: AuditEvent;
    try {
      payload = parseAuditEvent(event);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.redis.status !== 'ready') return Promise.reject(new AuditUnavailableError('Redis is not connected'));
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ event: payload, resolve, reject });
      if (this.pending.length >= MAX_AUDIT_BATCH_EVENTS) this.flush();
      else if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => {
          this.flushScheduled = false;
          this.flush();
        });
      }
    });
  }

  /** Sends what is pending as one job (a flush scheduled meanwhile finds nothing or the next events). */
  private flush(): void {
    if (this.pending.length === 0) return;
    const waiters = this.pending.splice(0, MAX_AUDIT_BATCH_EVENTS);
    const sent: Promise<void> = this.send(waiters).finally(() => this.inFlight.delete(sent));
    this.inFlight.add(sent);
    if (this.pending.length > 0) this.flush();
  }

  private async send(waiters: Waiter[]): Promise<void> {
    const events = waiters.map((waiter) => waiter.event);
    const add =
      events.length === 1
        ? this.queue.add(AUDIT_JOB_NAMES.event, events[0], { ...DEFAULT_JOB_OPTIONS, jobId: events[0]!.id })
        : this.queue.add(AUDIT_JOB_NAMES.batch, { events }, { ...DEFAULT_JOB_OPTIONS, jobId: auditBatchJobId(events.map((event) => event.id)) });
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        add.then((job) => this.replicated(job.id)),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('timed out')), PUBLISH_TIMEOUT_MS);
        }),
      ]);
      for (const waiter of waiters) waiter.resolve();
    } catch (cause) {
      // The line names the request whose event opened the job (its turn scheduled the flush).
      this.logger.warn(events[0]!.request_id, `${events.length} audit event(s) not enqueued (first ${events[0]!.id}): ${(cause as Error).message}`);
      const error = new AuditUnavailableError((cause as Error).message, cause);
      for (const waiter of waiters) waiter.reject(error);
    } finally {
      clearTimeout(timer);
    }
  }

  /** With REDIS_WAIT_REPLICAS: the job is on that many replicas, so a lost primary does not lose the event. */
  private async replicated(jobId: string | undefined): Promise<void> {
    if (jobId !== undefined) await this.replicatedJobs.afterWrite(`${this.queue.qualifiedName}:${jobId}`);
  }

  async onModuleDestroy(): Promise<void> {
    // What is pending is sent (its callers are still waiting for their answer) before closing.
    this.flush();
    await Promise.all(this.inFlight);
    // The connection is shared (RedisModule closes it); close only the queue.
    await this.queue.close().catch(() => undefined);
    this.replicatedJobs.close();
  }
}
