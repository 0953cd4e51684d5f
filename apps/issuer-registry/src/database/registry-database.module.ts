/**
 * SQL for every feature (`RegistryDatabase`), over the DataSource that registry-app.ts
 * opened and migrated before Nest starts: hence global, and given the DataSource.
 */
import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { REGISTRY_DATA_SOURCE, RegistryDatabase } from './registry-database';

@Global()
@Module({})
export class RegistryDatabaseModule {
  static forRoot(dataSource: DataSource): DynamicModule {
    return {
      module: RegistryDatabaseModule,
      providers: [{ provide: REGISTRY_DATA_SOURCE, useValue: dataSource }, RegistryDatabase],
      exports: [RegistryDatabase],
    };
  }
}
