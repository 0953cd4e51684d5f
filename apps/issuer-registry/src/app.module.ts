/**
 * The registry as feature modules: issuers, clients and the console's relay serve the
 * admin API; party keys, key refresh and the outbox relay work behind them; config and
 * the database are global (every feature reads them). Imported in this order, so the
 * OpenAPI description lists issuers, clients, audit, then the probes.
 */
import { Module, type DynamicModule } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { ClientsModule } from './clients/clients.module';
import { RegistryConfigModule } from './config/registry-config.module';
import type { RegistryConfig } from './config/registry.config';
import { ConsoleModule } from './console/console.module';
import { RegistryDatabaseModule } from './database/registry-database.module';
import { RegistryHealthModule } from './health/registry-health.module';
import { IssuersModule } from './issuers/issuers.module';
import { OutboxModule } from './outbox/outbox.module';
import { RefreshTokensModule } from './refresh-tokens/refresh-tokens.module';

@Module({})
export class AppModule {
  /** The whole registry, given its parsed config and a migrated DataSource. */
  static register(config: RegistryConfig, dataSource: DataSource): DynamicModule {
    return {
      module: AppModule,
      imports: [
        RegistryConfigModule.forRoot(config),
        RegistryDatabaseModule.forRoot(dataSource),
        IssuersModule,
        ClientsModule,
        RefreshTokensModule,
        ConsoleModule,
        OutboxModule,
        RegistryHealthModule,
      ],
    };
  }
}
