import { Module } from '@nestjs/common';
import { KeyRefreshModule } from '../key-refresh/key-refresh.module';
import { TrustModule } from '../trust/trust.module';
import { ClientCredentialsGrant } from './client-credentials.grant';
import { JwtBearerGrant } from './jwt-bearer.grant';

@Module({
  imports: [TrustModule, KeyRefreshModule],
  providers: [JwtBearerGrant, ClientCredentialsGrant],
  exports: [JwtBearerGrant, ClientCredentialsGrant],
})
export class GrantsModule {}
