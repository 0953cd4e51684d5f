/**
 * Redis connections, made here and nowhere else: one Redis (`REDIS_URL`) or a Redis
 * Cluster (`REDIS_CLUSTER_NODES`, ioredis `Cluster`), chosen once by the config.
 * BullMQ needs `maxRetriesPerRequest: null` on its connections; request-path clients
 * (replay store) want the opposite: fail fast so the caller can answer 503 instead of
 * waiting. Both reconnect on their own after an outage (in a cluster, after a failover:
 * the slot map is re-read on MOVED or a lost node).
 */
import Redis, { Cluster, type ClusterOptions, type RedisOptions } from 'ioredis';

export type RedisRole = 'queue' | 'request' | 'subscriber';

/** A connection to one Redis or to a Redis Cluster; both speak the same commands. */
export type RedisClient = Redis | Cluster;

/** One seed node of a Redis Cluster. */
export interface RedisClusterNode {
  host: string;
  port: number;
}

/** Where Redis is: `clusterNodes` set means a Redis Cluster (and `url` is not used). */
export interface RedisEndpoint {
  url: string;
  cluster?: RedisClusterSeeds | undefined;
}

/** Seeds of a cluster, and what every node connection needs (AUTH, TLS) from `redis://`/`rediss://` seeds. */
export interface RedisClusterSeeds {
  nodes: RedisClusterNode[];
  username?: string | undefined;
  password?: string | undefined;
  tls: boolean;
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

/**
 * Parses `REDIS_CLUSTER_NODES`: comma-separated `host:port` (CONTRACT.md), or
 * `redis://[user:pass@]host:port` / `rediss://...` seeds when the cluster wants AUTH or
 * TLS (taken from the first seed). Throws on anything else.
 */
export function parseClusterNodes(value: string): RedisClusterSeeds {
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.length === 0) throw new Error('expected at least one host:port');
  const seeds: RedisClusterSeeds = { nodes: [], tls: false };
  entries.forEach((entry, index) => {
    const url = new URL(entry.includes('://') ? entry : `redis://${entry}`);
    if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new Error(`"${entry}": expected host:port`);
    const port = Number(url.port);
    if (url.hostname === '' || !Number.isInteger(port) || port < 1 || port > 65535 || url.port === '') {
      throw new Error(`"${entry}": expected host:port`);
    }
    seeds.nodes.push({ host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port });
    if (index === 0) {
      seeds.tls = url.protocol === 'rediss:';
      if (url.username !== '') seeds.username = decodeURIComponent(url.username);
      if (url.password !== '') seeds.password = decodeURIComponent(url.password);
    }
  });
  return seeds;
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

