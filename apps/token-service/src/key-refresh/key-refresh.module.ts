import { Module } from '@nestjs/common';
import { TrustModule } from '../trust/trust.module';
import { IssuerTokenVerifier } from './issuer-token-verifier';
import { KeyRefreshService } from './key-refresh.service';

@Module({
  imports: [TrustModule],
  providers: [KeyRefreshService, IssuerTokenVerifier],
  exports: [KeyRefreshService, IssuerTokenVerifier],
})
export class KeyRefreshModule {}
