/**
 * The registry's Redis connections (one Redis, or the cluster of REDIS_CLUSTER_NODES):
 * one for BullMQ producers, audit stream appends and pub/sub publishing, one fail-fast connection for small
 * commands (rate limits, readiness); and the deployment's key names.
 */
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { createRedis, keyspaceOf, redisEndpointOf, type RedisClient, type RedisKeyspace } from '@trust-broker/service-kit/redis';
import { REGISTRY_CONFIG, type RegistryConfig } from '../config/registry.config';

@Injectable()
export class RegistryRedis implements OnModuleDestroy {
  readonly queue: RedisClient;
  readonly commands: RedisClient;
  readonly keys: RedisKeyspace;

  constructor(@Inject(REGISTRY_CONFIG) readonly config: RegistryConfig) {
    this.keys = keyspaceOf(config);
    this.queue = createRedis(redisEndpointOf(config), 'queue');
    this.commands = createRedis(redisEndpointOf(config), 'request');
    // ioredis reconnects on its own; without a listener an outage would be an unhandled 'error' event.
    this.queue.on('error', () => undefined);
    this.commands.on('error', () => undefined);
  }

  /** Sharded pub/sub on a cluster (the channel's shard only), classic PUBLISH on one Redis. */
  async publish(channel: string, message: string): Promise<void> {
    if (this.keys.cluster) await this.queue.spublish(this.keys.key(channel), message);
    else await this.queue.publish(this.keys.key(channel), message);
  }

  async onModuleDestroy(): Promise<void> {
    this.queue.disconnect();
    this.commands.disconnect();
  }
}
