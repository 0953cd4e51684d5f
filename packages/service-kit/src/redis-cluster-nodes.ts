/** `REDIS_CLUSTER_NODES` (CONTRACT.md) as the config reads it: no Redis client is needed to parse it. */

/** One seed node of a Redis Cluster. */
export interface RedisClusterNode {
  host: string;
  port: number;
}

/** Seeds of a cluster, and what every node connection needs (AUTH, TLS) from `redis://`/`rediss://` seeds. */
export interface RedisClusterSeeds {
  nodes: RedisClusterNode[];
  username?: string | undefined;
  password?: string | undefined;
  tls: boolean;
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
