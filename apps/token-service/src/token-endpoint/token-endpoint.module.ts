import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { ClientAuthModule } from '../client-auth/client-auth.module';
import { DpopModule } from '../dpop/dpop.module';
import { RefreshModule } from '../refresh/refresh.module';
import { GrantsModule } from '../grants/grants.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { ReplayModule } from '../replay/replay.module';
import { SigningKeysModule } from '../signing-keys/signing-keys.module';
import { TokenEndpointService } from './token-endpoint.service';
import { TokenController } from './token.controller';

@Module({
  imports: [ClientAuthModule, GrantsModule, AuditModule, SigningKeysModule, ReplayModule, RateLimitModule, DpopModule, RefreshModule],
  controllers: [TokenController],
  providers: [TokenEndpointService],
})
export class TokenEndpointModule {}
