/**
 * Delivery of `registry.outbox` to Redis. The features write the outbox in their own
 * transactions with outbox.writer.ts's functions; nothing here is injected elsewhere.
 */
import { Module } from '@nestjs/common';
import { RegistryRedisModule } from '../redis/registry-redis.module';
import { OutboxRelayService } from './outbox-relay.service';

@Module({ imports: [RegistryRedisModule], providers: [OutboxRelayService] })
export class OutboxModule {}
