import { Module } from '@nestjs/common';
import { SigningKeysModule } from '../signing-keys/signing-keys.module';
import { DiscoveryController } from './discovery.controller';

/** RFC 8414 metadata and the broker's JWKS. */
@Module({
  imports: [SigningKeysModule],
  controllers: [DiscoveryController],
})
export class DiscoveryModule {}
