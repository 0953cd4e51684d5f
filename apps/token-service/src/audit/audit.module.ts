import { Module } from '@nestjs/common';
import { AuditPublisher } from './audit-publisher.service';

/** Exports `AuditPublisher` (token, introspection and revocation events). */
@Module({
  providers: [AuditPublisher],
  exports: [AuditPublisher],
})
export class AuditModule {}
