import { Global, Inject, Logger, Module, type OnApplicationShutdown, type OnModuleInit, type Provider } from '@nestjs/common';
import type { RedisOptions } from 'ioredis';
import { createRedis, waitForRedis, type RedisClient, redisEndpointOf } from '@trust-broker/service-kit/redis';
import { HealthModule, ReadinessRegistry } from '@trust-broker/service-kit/nest';
import { TOKEN_SERVICE_CONFIG, type TokenServiceConfig } from '../config/token-service.config';

/**
 * Injection token of the request-path Redis connection (replay store, revocations, rate
 * limit). It fails fast instead of queueing commands while Redis is down, so callers
 * answer 503 `temporarily_unavailable` rather than hang; concurrent requests' commands
 * share writes (auto-pipelining).
 */
export const REQUEST_REDIS = Symbol('REQUEST_REDIS');

/**
 * Injection token of the queue producer's connection (key-refresh jobs; audit events are
 * XADDs on REQUEST_REDIS):
 * fails fast like REQUEST_REDIS, without auto-pipelining. Kept apart because BullMQ defines
 * its ~50 Lua commands on the connection it is given, and ioredis copies every defined
 * command onto each auto-pipeline it builds: on a shared connection each request's replay
 * and rate-limit commands paid that copy (measured in bench/README.md).
 */
export const QUEUE_PRODUCER_REDIS = Symbol('QUEUE_PRODUCER_REDIS');

/** Readiness check names of the two connections; start-up warnings name them too. */
const REQUEST_CHECK = 'redis';
const QUEUE_PRODUCER_CHECK = 'redis_queue_producer';

/** How long start-up waits for each connection: neither queues commands while it connects. */
const STARTUP_REDIS_WAIT_MS = 5000;

/**
 * A fail-fast connection (`createRedis` role `request`) with its readiness check. Reconnection
 * is automatic; the error listener keeps ioredis from printing every failure.
 */
function failFastConnection(token: symbol, check: string, extra: RedisOptions = {}): Provider {
  return {
    provide: token,
    inject: [TOKEN_SERVICE_CONFIG, ReadinessRegistry],
    useFactory: (config: TokenServiceConfig, readiness: ReadinessRegistry): RedisClient => {
      const redis = createRedis(redisEndpointOf(config), 'request', extra);
      redis.on('error', () => undefined);
      readiness.register(check, async () => {
        await redis.ping();
      });
      return redis;
    },
  };
}

@Global()
@Module({
  imports: [HealthModule],
  providers: [
    failFastConnection(REQUEST_REDIS, REQUEST_CHECK),
    failFastConnection(QUEUE_PRODUCER_REDIS, QUEUE_PRODUCER_CHECK, { enableAutoPipelining: false }),
  ],
  exports: [REQUEST_REDIS, QUEUE_PRODUCER_REDIS],
})
export class RedisModule implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RedisModule.name);

  constructor(
    @Inject(REQUEST_REDIS) private readonly redis: RedisClient,
    @Inject(QUEUE_PRODUCER_REDIS) private readonly producerRedis: RedisClient,
  ) {}

  /**
   * Before the service listens, so that its first requests are not refused while the
   * connections are still being made. Redis down at start is not fatal: requests get 503
   * until it is back, and /readyz says which connection is down.
   */
  async onModuleInit(): Promise<void> {
    const connections: Array<[string, RedisClient]> = [
      [REQUEST_CHECK, this.redis],
      [QUEUE_PRODUCER_CHECK, this.producerRedis],
    ];
    await Promise.all(
      connections.map(([name, redis]) =>
        waitForRedis(redis, STARTUP_REDIS_WAIT_MS).catch((error: Error) => this.logger.warn(`Redis (${name}) not reachable yet: ${error.message}`)),
      ),
    );
  }

  onApplicationShutdown(): void {
    this.redis.disconnect();
    this.producerRedis.disconnect();
  }
}
