/**
 * The registry's Redis connections: one for BullMQ producers and pub/sub publishing,
 * one fail-fast connection for small commands (rate limits, readiness).
 */
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { createRedis } from '@trust-broker/service-kit';
import type Redis from 'ioredis';
import { REGISTRY_CONFIG, type RegistryConfig } from '../config/registry.config';

@Injectable()
export class RegistryRedis implements OnModuleDestroy {
  readonly queue: Redis;
  readonly commands: Redis;

  constructor(@Inject(REGISTRY_CONFIG) readonly config: RegistryConfig) {
    this.queue = createRedis(config.redisUrl, 'queue');
    this.commands = createRedis(config.redisUrl, 'request');
    // ioredis reconnects on its own; without a listener an outage would be an unhandled 'error' event.
    this.queue.on('error', () => undefined);
    this.commands.on('error', () => undefined);
  }

  async onModuleDestroy(): Promise<void> {
    this.queue.disconnect();
    this.commands.disconnect();
  }
}
