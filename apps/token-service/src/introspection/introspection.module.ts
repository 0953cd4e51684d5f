import { Module } from '@nestjs/common';
import { OAuthPipelineModule } from '../oauth-pipeline/oauth-pipeline.module';
import { RevocationModule } from '../revocation/revocation.module';
import { TokenManagementModule } from '../token-management/token-management.module';
import { TrustModule } from '../trust/trust.module';
import { IntrospectionController } from './introspection.controller';
import { IntrospectionEndpoint } from './introspection.endpoint';

/** `POST /oauth2/introspect` (RFC 7662). Needs the global ConfigModule, DatabaseModule and RedisModule. */
@Module({
  imports: [OAuthPipelineModule, TokenManagementModule, RevocationModule, TrustModule],
  controllers: [IntrospectionController],
  providers: [IntrospectionEndpoint],
})
export class IntrospectionModule {}
