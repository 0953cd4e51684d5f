import { Module, type DynamicModule } from '@nestjs/common';
import { HealthModule } from '@trust-broker/service-kit';
import type { DataSource } from 'typeorm';
import { REGISTRY_CONFIG, type RegistryConfig } from './config/registry.config';
import { REGISTRY_DATA_SOURCE, RegistryDatabase } from './database/registry-database';
import { RegistryReadiness } from './health/registry-readiness';
import { AuditRelayController } from './console/audit-relay.controller';
import { ClientsController } from './clients/clients.controller';
import { ClientsService } from './clients/clients.service';
import { AdminGuard } from './http/admin.guard';
import { IssuersController } from './issuers/issuers.controller';
import { IssuersService } from './issuers/issuers.service';
import { KeyRefreshProcessor } from './key-refresh/key-refresh.processor';
import { KeyRefreshQueue } from './key-refresh/key-refresh.queue';
import { KeyRefresherService } from './party-keys/key-refresher.service';
import { OutboxRelayService } from './outbox/outbox-relay.service';
import { RegistryRedis } from './redis/registry-redis';

@Module({})
export class AppModule {
  /** The whole registry, given its parsed config and a migrated DataSource. */
  static register(config: RegistryConfig, dataSource: DataSource): DynamicModule {
    return {
      module: AppModule,
      imports: [HealthModule],
      controllers: [IssuersController, ClientsController, AuditRelayController],
      providers: [
        { provide: REGISTRY_CONFIG, useValue: config },
        { provide: REGISTRY_DATA_SOURCE, useValue: dataSource },
        RegistryDatabase,
        RegistryRedis,
        RegistryReadiness,
        AdminGuard,
        OutboxRelayService,
        KeyRefresherService,
        KeyRefreshQueue,
        KeyRefreshProcessor,
        IssuersService,
        ClientsService,
      ],
    };
  }
}
