/**
 * Redis connections. BullMQ needs `maxRetriesPerRequest: null` on its connections;
 * request-path clients (replay store) want the opposite: fail fast so the caller can
 * answer 503 instead of waiting. Both reconnect on their own after an outage.
 */
import Redis, { type RedisOptions } from 'ioredis';

export type RedisRole = 'queue' | 'request' | 'subscriber';

export function createRedis(url: string, role: RedisRole, extra: RedisOptions = {}): Redis {
  const common: RedisOptions = {
    lazyConnect: false,
    enableAutoPipelining: role === 'request',
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(50 * attempt, 1000),
    ...extra,
  };
  if (role === 'request') {
    return new Redis(url, { ...common, maxRetriesPerRequest: 0, enableOfflineQueue: false, commandTimeout: 1000 });
  }
  return new Redis(url, { ...common, maxRetriesPerRequest: null });
}

/** Resolves once `redis` is ready, or rejects after `timeoutMs`. */
export async function waitForRedis(redis: Redis, timeoutMs = 5000): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      reject(new Error(`Redis not ready within ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    redis.once('ready', onReady);
  });
}
