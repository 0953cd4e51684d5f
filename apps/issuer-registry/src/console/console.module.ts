/**
 * The admin console's API needs beyond /v1/issuers and /v1/clients: the relayed audit
 * reads. The page itself is served by console-site.ts, outside Nest's routing.
 */
import { Module } from '@nestjs/common';
import { AuditRelayController } from './audit-relay.controller';

@Module({ controllers: [AuditRelayController] })
export class ConsoleModule {}
