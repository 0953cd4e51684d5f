import { Module } from '@nestjs/common';
import { ClientAuthModule } from '../client-auth/client-auth.module';
import { RefreshModule } from '../refresh/refresh.module';
import { SigningKeysModule } from '../signing-keys/signing-keys.module';
import { TokenManagementSteps } from './token-management-endpoint';

/** Exports the steps introspection and revocation share (`TokenManagementSteps`). Needs the global ConfigModule and DatabaseModule. */
@Module({
  imports: [ClientAuthModule, SigningKeysModule, RefreshModule],
  providers: [TokenManagementSteps],
  exports: [TokenManagementSteps],
})
export class TokenManagementModule {}
