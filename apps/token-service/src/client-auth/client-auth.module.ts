import { Module } from '@nestjs/common';
import { KeyRefreshModule } from '../key-refresh/key-refresh.module';
import { TrustModule } from '../trust/trust.module';
import { ClientAuthenticator } from './client-authenticator.service';

/** Exports `ClientAuthenticator` for the token, introspection and revocation endpoints. */
@Module({
  imports: [TrustModule, KeyRefreshModule],
  providers: [ClientAuthenticator],
  exports: [ClientAuthenticator],
})
export class ClientAuthModule {}
