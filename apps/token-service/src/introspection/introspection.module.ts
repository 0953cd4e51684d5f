import { Module } from '@nestjs/common';
import { OAuthPipelineModule } from '../oauth-pipeline/oauth-pipeline.module';
import { RevocationStoreModule } from '../revocation/revocation-store.module';
import { TokenManagementModule } from '../token-management/token-management.module';
import { TrustModule } from '../trust/trust.module';
import { IntrospectionController } from './introspection.controller';
import { IntrospectionEndpoint } from './introspection.endpoint';

/** `POST /oauth2/introspect` (RFC 7662). Needs the global ConfigModule, DatabaseModule and RedisModule. */
@Module({
  imports: [OAuthPipelineModule, TokenManagementModule, RevocationStoreModule, TrustModule],
  controllers: [IntrospectionController],
  providers: [IntrospectionEndpoint],
})
export class IntrospectionModule {}
