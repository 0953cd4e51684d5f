import { Module } from '@nestjs/common';
import { ClientAuthModule } from '../client-auth/client-auth.module';
import { DpopModule } from '../dpop/dpop.module';
import { GrantsModule } from '../grants/grants.module';
import { OAuthPipelineModule } from '../oauth-pipeline/oauth-pipeline.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { RefreshModule } from '../refresh/refresh.module';
import { SigningKeysModule } from '../signing-keys/signing-keys.module';
import { TokenEndpoint } from './token-endpoint';
import { TokenController } from './token.controller';

@Module({
  imports: [OAuthPipelineModule, ClientAuthModule, GrantsModule, SigningKeysModule, RateLimitModule, DpopModule, RefreshModule],
  controllers: [TokenController],
  providers: [TokenEndpoint],
})
export class TokenEndpointModule {}
