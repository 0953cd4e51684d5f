/**
 * The key-refresh queue: its producer (`KeyRefreshQueue`, for the features that change a
 * key source) and its consumer (the processor, with the sweep).
 */
import { Module } from '@nestjs/common';
import { PartyKeysModule } from '../party-keys/party-keys.module';
import { RegistryRedisModule } from '../redis/registry-redis.module';
import { KeyRefreshProcessor } from './key-refresh.processor';
import { KeyRefreshQueue } from './key-refresh.queue';

@Module({ imports: [RegistryRedisModule, PartyKeysModule], providers: [KeyRefreshQueue, KeyRefreshProcessor], exports: [KeyRefreshQueue] })
export class KeyRefreshModule {}
