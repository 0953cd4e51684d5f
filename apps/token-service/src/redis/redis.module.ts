import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import type Redis from 'ioredis';
import { createRedis, HealthModule, ReadinessRegistry } from '@trust-broker/service-kit';
import { TOKEN_SERVICE_CONFIG, type TokenServiceConfig } from '../config/token-service.config';

/**
 * Injection token of the request-path Redis connection (replay store, revocations,
 * queue producers). It fails fast instead of queueing commands while Redis is down, so
 * callers answer 503 `temporarily_unavailable` rather than hang.
 */
export const REQUEST_REDIS = Symbol('REQUEST_REDIS');

@Global()
@Module({
  imports: [HealthModule],
  providers: [
    {
      provide: REQUEST_REDIS,
      inject: [TOKEN_SERVICE_CONFIG, ReadinessRegistry],
      useFactory: (config: TokenServiceConfig, readiness: ReadinessRegistry): Redis => {
        const redis = createRedis(config.redisUrl, 'request');
        // Reconnection is automatic; without a listener ioredis would print every failure.
        redis.on('error', () => undefined);
        readiness.register('redis', async () => {
          await redis.ping();
        });
        return redis;
      },
    },
  ],
  exports: [REQUEST_REDIS],
})
export class RedisModule implements OnApplicationShutdown {
  constructor(@Inject(REQUEST_REDIS) private readonly redis: Redis) {}

  onApplicationShutdown(): void {
    this.redis.disconnect();
  }
}
