import { Module } from '@nestjs/common';
import { OAuthPipelineModule } from '../oauth-pipeline/oauth-pipeline.module';
import { RefreshModule } from '../refresh/refresh.module';
import { TokenManagementModule } from '../token-management/token-management.module';
import { RevocationController } from './revocation.controller';
import { RevocationEndpoint } from './revocation.endpoint';
import { RevocationStore } from './revocation-store.service';

/**
 * `POST /oauth2/revoke` (RFC 7009). Exports `RevocationStore` (introspection checks it).
 * Needs the global ConfigModule, DatabaseModule and RedisModule.
 */
@Module({
  imports: [OAuthPipelineModule, TokenManagementModule, RefreshModule],
  controllers: [RevocationController],
  providers: [RevocationStore, RevocationEndpoint],
  exports: [RevocationStore],
})
export class RevocationModule {}
