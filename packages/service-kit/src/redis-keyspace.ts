/**
 * Names of Redis keys, queues and channels under a deployment's prefix (`REDIS_PREFIX`).
 * On one Redis they are what they always were (`tb:...`). On a Redis Cluster, every key
 * that one Lua script, MULTI or BullMQ queue touches must share a hash slot, so those
 * carry a hash tag: BullMQ's prefix becomes `{tb}`, a group of keys read together
 * `{tb:revoked}`. Keys used one at a time stay untagged and spread over the shards.
 * The layout is documented in apps/token-service/README.md ("Redis keys").
 */
export class RedisKeyspace {
  constructor(
    readonly prefix: string,
    readonly cluster: boolean,
  ) {}

  /** BullMQ `prefix`: all keys of a queue in one slot on a cluster (BullMQ's own rule). */
  get queuePrefix(): string {
    return this.cluster ? `{${this.prefix}}` : this.prefix;
  }

  /** A key (or channel) used on its own, e.g. `tb:jti:...`: any slot. */
  key(name: string): string {
    return `${this.prefix}:${name}`;
  }

  /**
   * The stem of a group of keys that are read or written together (one script, MGET,
   * pipeline to one node): `tb:<group>` on one Redis, `{tb:<group>}` on a cluster, so
   * that `<stem>:<id>` and `<stem>-<suffix>` all hash to one slot.
   */
  group(group: string): string {
    return this.cluster ? `{${this.prefix}:${group}}` : `${this.prefix}:${group}`;
  }
}

/** The keyspace an app's config names (`REDIS_PREFIX`, and whether REDIS_CLUSTER_NODES is set). */
export function keyspaceOf(config: { redisPrefix: string; redisCluster?: unknown }): RedisKeyspace {
  return new RedisKeyspace(config.redisPrefix, config.redisCluster !== undefined);
}
