import { Module } from '@nestjs/common';
import { ClientAuthModule } from '../client-auth/client-auth.module';
import { OAuthPipelineModule } from '../oauth-pipeline/oauth-pipeline.module';
import { RefreshModule } from '../refresh/refresh.module';
import { RevocationModule } from '../revocation/revocation.module';
import { SigningKeysModule } from '../signing-keys/signing-keys.module';
import { TrustModule } from '../trust/trust.module';
import { IntrospectionController } from './introspection.controller';
import { IntrospectionEndpoint } from './introspection.endpoint';

/** `POST /oauth2/introspect` (RFC 7662). Needs the global ConfigModule, DatabaseModule and RedisModule. */
@Module({
  imports: [OAuthPipelineModule, ClientAuthModule, SigningKeysModule, RevocationModule, RefreshModule, TrustModule],
  controllers: [IntrospectionController],
  providers: [IntrospectionEndpoint],
})
export class IntrospectionModule {}
