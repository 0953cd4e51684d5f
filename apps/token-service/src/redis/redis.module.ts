import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import type Redis from 'ioredis';
import { createRedis, HealthModule, ReadinessRegistry } from '@trust-broker/service-kit';
import { TOKEN_SERVICE_CONFIG, type TokenServiceConfig } from '../config/token-service.config';

/**
 * Injection token of the request-path Redis connection (replay store, revocations, rate
 * limit). It fails fast instead of queueing commands while Redis is down, so callers
 * answer 503 `temporarily_unavailable` rather than hang; concurrent requests' commands
 * share writes (auto-pipelining).
 */
export const REQUEST_REDIS = Symbol('REQUEST_REDIS');

/**
 * Injection token of the queue producers' connection (audit events, key-refresh jobs):
 * fails fast like REQUEST_REDIS, without auto-pipelining. Kept apart because BullMQ defines
 * its ~50 Lua commands on the connection it is given, and ioredis copies every defined
 * command onto each auto-pipeline it builds: on a shared connection each request's replay
 * and rate-limit commands paid that copy (128 us per request at 400 req/s, measured;
 * bench/README.md). The audit publisher already sends one job per event-loop turn.
 */
export const QUEUE_PRODUCER_REDIS = Symbol('QUEUE_PRODUCER_REDIS');

function quiet(redis: Redis): Redis {
  // Reconnection is automatic; without a listener ioredis would print every failure.
  redis.on('error', () => undefined);
  return redis;
}

@Global()
@Module({
  imports: [HealthModule],
  providers: [
    {
      provide: REQUEST_REDIS,
      inject: [TOKEN_SERVICE_CONFIG, ReadinessRegistry],
      useFactory: (config: TokenServiceConfig, readiness: ReadinessRegistry): Redis => {
        const redis = quiet(createRedis(config.redisUrl, 'request'));
        readiness.register('redis', async () => {
          await redis.ping();
        });
        return redis;
      },
    },
    {
      provide: QUEUE_PRODUCER_REDIS,
      inject: [TOKEN_SERVICE_CONFIG, ReadinessRegistry],
      useFactory: (config: TokenServiceConfig, readiness: ReadinessRegistry): Redis => {
        const redis = quiet(createRedis(config.redisUrl, 'request', { enableAutoPipelining: false }));
        readiness.register('redis_queue_producer', async () => {
          await redis.ping();
        });
        return redis;
      },
    },
  ],
  exports: [REQUEST_REDIS, QUEUE_PRODUCER_REDIS],
})
export class RedisModule implements OnApplicationShutdown {
  constructor(
    @Inject(REQUEST_REDIS) private readonly redis: Redis,
    @Inject(QUEUE_PRODUCER_REDIS) private readonly producerRedis: Redis,
  ) {}

  onApplicationShutdown(): void {
    this.redis.disconnect();
    this.producerRedis.disconnect();
  }
}
