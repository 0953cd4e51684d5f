/** The registry's Redis connections, for the queues (key refresh) and the outbox relay. */
import { Module } from '@nestjs/common';
import { RegistryRedis } from './registry-redis';

@Module({ providers: [RegistryRedis], exports: [RegistryRedis] })
export class RegistryRedisModule {}
