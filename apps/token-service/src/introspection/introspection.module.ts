import { Module } from '@nestjs/common';
import { RefreshModule } from '../refresh/refresh.module';
import { RevocationModule } from '../revocation/revocation.module';
import { SigningKeysModule } from '../signing-keys/signing-keys.module';
import { IntrospectionController } from './introspection.controller';
import { IntrospectionService } from './introspection.service';

/** `POST /oauth2/introspect` (RFC 7662). Needs the global ConfigModule, DatabaseModule and RedisModule. */
@Module({
  imports: [SigningKeysModule, RevocationModule, RefreshModule],
  controllers: [IntrospectionController],
  providers: [IntrospectionService],
})
export class IntrospectionModule {}
