import { type DynamicModule, Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { HealthModule, ReadinessRegistry } from '@trust-broker/service-kit';

/**
 * The app's one Postgres pool (schema `token`, migrations already run by main.ts),
 * injectable as `DataSource`. The trust cache reads the `registry` schema through it
 * with schema-qualified raw SQL.
 */
@Global()
@Module({})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  static forRoot(dataSource: DataSource): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [HealthModule],
      providers: [
        { provide: DataSource, useValue: dataSource },
        {
          provide: 'POSTGRES_READINESS',
          inject: [ReadinessRegistry],
          useFactory: (readiness: ReadinessRegistry) => {
            // Optional: tokens are issued from the in-memory trust while Postgres is away
            // (ARCHITECTURE.md), so an outage must not take every pod out of the Service.
            readiness.register(
              'postgres',
              async () => {
                await dataSource.query('SELECT 1');
              },
              { required: false },
            );
            return true;
          },
        },
      ],
      exports: [DataSource],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy().catch(() => undefined);
  }
}
