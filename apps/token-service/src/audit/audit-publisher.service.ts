/**
 * Enqueues audit events on the audit queue (QUEUES.audit, BullMQ, under REDIS_PREFIX)
 * for audit-worker. Enforces:
 * - the event is validated against the contract first (no unknown field can carry a secret);
 * - `jobId` = the event id, so a retried publish never makes a duplicate;
 * - it throws when Redis does not take the event: callers answer 503 and issue nothing.
 */
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { Queue } from 'bullmq';
import type Redis from 'ioredis';
import { DEFAULT_JOB_OPTIONS, parseAuditEvent, QUEUES, type AuditEventInput } from '@trust-broker/contracts';
import { TOKEN_SERVICE_CONFIG, type TokenServiceConfig } from '../config/token-service.config';
import { REQUEST_REDIS } from '../redis/redis.module';
import { AuditUnavailableError } from './audit.errors';

/** Longer than the request connection's command timeout, as a last guard against a hang. */
const PUBLISH_TIMEOUT_MS = 2000;

@Injectable()
export class AuditPublisher implements OnModuleDestroy {
  private readonly logger = new Logger(AuditPublisher.name);
  private readonly queue: Queue;

  constructor(
    @Inject(TOKEN_SERVICE_CONFIG) config: TokenServiceConfig,
    @Inject(REQUEST_REDIS) private readonly redis: Redis,
  ) {
    this.queue = new Queue(QUEUES.audit, { connection: redis, prefix: config.redisPrefix });
    this.queue.on('error', () => undefined);
  }

  async publish(event: AuditEventInput): Promise<void> {
    const payload = parseAuditEvent(event);
    if (this.redis.status !== 'ready') throw new AuditUnavailableError('Redis is not connected');
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.queue.add('audit', payload, { ...DEFAULT_JOB_OPTIONS, jobId: payload.id }),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('timed out')), PUBLISH_TIMEOUT_MS);
        }),
      ]);
    } catch (cause) {
      this.logger.warn(`audit event ${payload.id} not enqueued: ${(cause as Error).message}`);
      throw new AuditUnavailableError((cause as Error).message, cause);
    } finally {
      clearTimeout(timer);
    }
  }

  async onModuleDestroy(): Promise<void> {
    // The connection is shared (RedisModule closes it); close only the queue.
    await this.queue.close().catch(() => undefined);
  }
}
