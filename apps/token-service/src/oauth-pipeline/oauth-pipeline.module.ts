import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { ReplayModule } from '../replay/replay.module';
import { OAuthEndpointPipeline } from './oauth-endpoint-pipeline';
import { RejectedRequestAudit } from './rejected-request.audit';

/** The pipeline every OAuth endpoint runs on, and the audit of requests refused before it. */
@Module({
  imports: [AuditModule, ReplayModule],
  providers: [OAuthEndpointPipeline, RejectedRequestAudit],
  exports: [OAuthEndpointPipeline],
})
export class OAuthPipelineModule {}
