import { Module } from '@nestjs/common';
import { RefreshModule } from '../refresh/refresh.module';
import { AuditModule } from '../audit/audit.module';
import { ClientAuthModule } from '../client-auth/client-auth.module';
import { ReplayModule } from '../replay/replay.module';
import { SigningKeysModule } from '../signing-keys/signing-keys.module';
import { RejectedTokenManagementRequestAudit } from '../token-management/rejected-token-management-request.audit';
import { RevocationController } from './revocation.controller';
import { RevocationStore } from './revocation-store.service';
import { RevocationService } from './revocation.service';
import { TokenManagementPipeline } from '../token-management/token-management-pipeline';

/**
 * `POST /oauth2/revoke` (RFC 7009). Exports `RevocationStore` (introspection checks it) and
 * `TokenManagementPipeline` (introspection runs on it).
 * Needs the global ConfigModule, DatabaseModule and RedisModule.
 */
@Module({
  imports: [SigningKeysModule, ClientAuthModule, AuditModule, ReplayModule, RefreshModule],
  controllers: [RevocationController],
  providers: [RevocationStore, RevocationService, RejectedTokenManagementRequestAudit, TokenManagementPipeline],
  exports: [RevocationStore, TokenManagementPipeline],
})
export class RevocationModule {}
