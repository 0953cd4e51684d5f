import { Module } from '@nestjs/common';
import { OAuthPipelineModule } from '../oauth-pipeline/oauth-pipeline.module';
import { RefreshModule } from '../refresh/refresh.module';
import { TokenManagementModule } from '../token-management/token-management.module';
import { RevocationController } from './revocation.controller';
import { RevocationEndpoint } from './revocation.endpoint';
import { RevocationStoreModule } from './revocation-store.module';

/** `POST /oauth2/revoke` (RFC 7009). Needs the global ConfigModule, DatabaseModule and RedisModule. */
@Module({
  imports: [OAuthPipelineModule, TokenManagementModule, RevocationStoreModule, RefreshModule],
  controllers: [RevocationController],
  providers: [RevocationEndpoint],
})
export class RevocationModule {}
