/**
 * Appends audit events to the audit streams (packages/contracts/src/audit-stream.ts, under
 * REDIS_PREFIX) for audit-worker, with group commit. Enforces:
 * - the event is validated against the contract first (no unknown field can carry a secret);
 * - `publish()` resolves only once the entry holding the event is stored in Redis, and
 *   throws when Redis does not take it (or does not answer within PUBLISH_TIMEOUT_MS):
 *   callers answer 503 and issue nothing;
 * - every event produced in one event-loop turn goes in ONE entry (one XADD, on the
 *   auto-pipelined request connection): the buffer is flushed on `setImmediate`, or at once
 *   when it holds MAX_AUDIT_BATCH_EVENTS. The turns take the shards in turn;
 * - a failed or timed-out XADD rejects every waiter of that entry (each answers 503); so
 *   does one that fewer than REDIS_WAIT_REPLICAS replicas acknowledged in time;
 * - shutdown flushes what is pending.
 * A retried request sends its event again under the same id; audit-worker is idempotent
 * on event ids. The jwt-bearer grant's success event does not come here: it is appended
 * by the same script that records the grant's `jti`s (ReplayGuardService.commit).
 */
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import {
  AUDIT_STREAM_FIELD,
  AUDIT_STREAM_SHARDS,
  auditStreamKey,
  MAX_AUDIT_BATCH_EVENTS,
  parseAuditEvent,
  type AuditEvent,
  type AuditEventInput,
} from '@trust-broker/contracts';
import { RequestLogger } from '@trust-broker/service-kit/logging';
import { ReplicationBarrier, type RedisClient } from '@trust-broker/service-kit/redis';
import { TOKEN_SERVICE_CONFIG, type TokenServiceConfig } from '../config/token-service.config';
import { REQUEST_REDIS } from '../redis/redis.module';
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
  private readonly prefix: string;
  private shard = 0;
  private pending: Waiter[] = [];
  private flushScheduled = false;
  private readonly inFlight = new Set<Promise<void>>();
  /** With REDIS_WAIT_REPLICAS: an entry counts once that many replicas hold it. */
  private readonly replicatedJobs: ReplicationBarrier;

  constructor(
    @Inject(TOKEN_SERVICE_CONFIG) config: TokenServiceConfig,
    @Inject(REQUEST_REDIS) private readonly redis: RedisClient,
  ) {
    this.prefix = config.redisPrefix;
    const wait = config.redisWait ?? { replicas: 0, timeoutMs: 0 };
    this.replicatedJobs = new ReplicationBarrier(redis, wait.replicas, wait.timeoutMs);
  }

  /**
   * The audit stream field's value for an event that another script appends (the grant's
   * commit, ReplayGuardService.commit): validated as `publish` does.
   */
  entryOf(event: AuditEventInput): string {
    return JSON.stringify([parseAuditEvent(event)]);
  }

  /** Resolves once the entry holding the event is stored in Redis; throws AuditUnavailableError otherwise. */
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

  /** Sends what is pending as one entry (a flush scheduled meanwhile finds nothing or the next events). */
  private flush(): void {
    if (this.pending.length === 0) return;
    const waiters = this.pending.splice(0, MAX_AUDIT_BATCH_EVENTS);
    const sent: Promise<void> = this.send(waiters).finally(() => this.inFlight.delete(sent));
    this.inFlight.add(sent);
    if (this.pending.length > 0) this.flush();
  }

  private async send(waiters: Waiter[]): Promise<void> {
    const events = waiters.map((waiter) => waiter.event);
    const key = auditStreamKey(this.prefix, this.shard);
    this.shard = (this.shard + 1) % AUDIT_STREAM_SHARDS;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.redis.xadd(key, '*', AUDIT_STREAM_FIELD, JSON.stringify(events)).then(() => this.replicatedJobs.afterWrite(key)),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('timed out')), PUBLISH_TIMEOUT_MS);
        }),
      ]);
      for (const waiter of waiters) waiter.resolve();
    } catch (cause) {
      // The line names the request whose event opened the entry (its turn scheduled the flush).
      this.logger.warn(events[0]!.request_id, `${events.length} audit event(s) not appended (first ${events[0]!.id}): ${(cause as Error).message}`);
      const error = new AuditUnavailableError((cause as Error).message, cause);
      for (const waiter of waiters) waiter.reject(error);
    } finally {
      clearTimeout(timer);
    }
  }

  async onModuleDestroy(): Promise<void> {
    // What is pending is sent (its callers are still waiting for their answer) before closing.
    this.flush();
    await Promise.all(this.inFlight);
    // The connection is shared: RedisModule closes it.
    this.replicatedJobs.close();
  }
}
