import { Module } from '@nestjs/common';
import { ClientAuthModule } from '../client-auth/client-auth.module';
import { OAuthPipelineModule } from '../oauth-pipeline/oauth-pipeline.module';
import { RefreshModule } from '../refresh/refresh.module';
import { SigningKeysModule } from '../signing-keys/signing-keys.module';
import { RevocationController } from './revocation.controller';
import { RevocationEndpoint } from './revocation.endpoint';
import { RevocationStore } from './revocation-store.service';

/**
 * `POST /oauth2/revoke` (RFC 7009). Exports `RevocationStore` (introspection checks it).
 * Needs the global ConfigModule, DatabaseModule and RedisModule.
 */
@Module({
  imports: [OAuthPipelineModule, ClientAuthModule, SigningKeysModule, RefreshModule],
  controllers: [RevocationController],
  providers: [RevocationStore, RevocationEndpoint],
  exports: [RevocationStore],
})
export class RevocationModule {}
