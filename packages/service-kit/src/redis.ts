/**
 * Redis connections, made here and nowhere else: one Redis (`REDIS_URL`) or a Redis
 * Cluster (`REDIS_CLUSTER_NODES`, ioredis `Cluster`), chosen once by the config.
 * BullMQ needs `maxRetriesPerRequest: null` on its connections; request-path clients
 * (replay store) want the opposite: fail fast so the caller can answer 503 instead of
 * waiting. Both reconnect on their own after an outage (in a cluster, after a failover:
 * the slot map is re-read on MOVED or a lost node).
 */
import Redis, { Cluster, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { RedisClusterSeeds } from './redis-cluster-nodes';

export type RedisRole = 'queue' | 'request' | 'subscriber';

/** A connection to one Redis or to a Redis Cluster; both speak the same commands. */
export type RedisClient = Redis | Cluster;

/** Where Redis is: `cluster` set means a Redis Cluster (and `url` is not used). */
export interface RedisEndpoint {
  url: string;
  cluster?: RedisClusterSeeds | undefined;
}

/** A connection for `role`: to the cluster when the endpoint names one, else to its URL (a plain URL: one Redis). */
export function createRedis(endpoint: string, role: RedisRole, extra?: RedisOptions): Redis;
export function createRedis(endpoint: RedisEndpoint, role: RedisRole, extra?: RedisOptions): RedisClient;
export function createRedis(endpoint: RedisEndpoint | string, role: RedisRole, extra: RedisOptions = {}): RedisClient {
  const target = typeof endpoint === 'string' ? { url: endpoint } : endpoint;
  const common: RedisOptions = {
    lazyConnect: false,
    enableAutoPipelining: role === 'request',
    connectTimeout: 2000,
    // How long disconnect() waits for the socket to close before destroying it. ioredis arms
    // this timer even when the socket is already gone (Redis down) and nothing clears it, so
    // a process closing its clients then stayed up this long (2 s by default).
    disconnectTimeout: 200,
    retryStrategy: (attempt) => Math.min(50 * attempt, 1000),
    ...extra,
  };
  const perRole: RedisOptions =
    role === 'request' ? { maxRetriesPerRequest: 0, enableOfflineQueue: false, commandTimeout: 1000 } : { maxRetriesPerRequest: null };
  if (target.cluster) return createCluster(target.cluster, role, { ...common, ...perRole });
  return new Redis(target.url, { ...common, ...perRole });
}

function createCluster(seeds: RedisClusterSeeds, role: RedisRole, nodeOptions: RedisOptions): Cluster {
  const { enableAutoPipelining, enableOfflineQueue, retryStrategy, ...redisOptions } = nodeOptions;
  const options: ClusterOptions = {
    enableAutoPipelining,
    // The request path queues nothing while the cluster is (re)discovered: it answers 503.
    enableOfflineQueue: enableOfflineQueue ?? true,
    clusterRetryStrategy: retryStrategy ?? ((attempt) => Math.min(50 * attempt, 1000)),
    // A failover answers CLUSTERDOWN or MOVED for a moment: retry soon, then follow the new map.
    retryDelayOnFailover: 100,
    retryDelayOnClusterDown: 100,
    slotsRefreshTimeout: 2000,
    // Trust changes on one shard (SPUBLISH/SSUBSCRIBE): no broadcast over the cluster bus.
    shardedSubscribers: role === 'subscriber',
    redisOptions: {
      ...redisOptions,
      ...(seeds.username !== undefined ? { username: seeds.username } : {}),
      ...(seeds.password !== undefined ? { password: seeds.password } : {}),
      // Managed clusters announce nodes by address; TLS must not check those against the seed's name.
      ...(seeds.tls ? { tls: { checkServerIdentity: () => undefined } } : {}),
    },
    ...(seeds.tls ? { dnsLookup: (address, callback) => callback(null, address) } : {}),
  };
  return new Cluster(seeds.nodes, options);
}

/** Resolves once `redis` is ready, or rejects after `timeoutMs`. */
export async function waitForRedis(redis: RedisClient, timeoutMs = 5000): Promise<void> {
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

/** The endpoint an app's config names: its cluster seeds if any, else its REDIS_URL. */
export function redisEndpointOf(config: { redisUrl: string; redisCluster?: RedisClusterSeeds | undefined }): RedisEndpoint {
  return { url: config.redisUrl, cluster: config.redisCluster };
}

