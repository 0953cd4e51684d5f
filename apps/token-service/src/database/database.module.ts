import { type DynamicModule, Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { HealthModule, ReadinessRegistry } from '@trust-broker/service-kit/nest';

/**
 * The app's Postgres pool (schema `token`, migrations already run by main.ts), injectable
 * as `DataSource`; and the pool the trust cache reads the `registry` schema through
 * (schema-qualified raw SQL), `TRUST_READ_DATA_SOURCE`: a read replica's
 * (`DATABASE_READ_URL`), or the same pool when there is none.
 */
export const TRUST_READ_DATA_SOURCE = Symbol('TRUST_READ_DATA_SOURCE');

@Global()
@Module({})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(TRUST_READ_DATA_SOURCE) private readonly trustReadSource: DataSource,
  ) {}

  static forRoot(dataSource: DataSource, trustReadSource: DataSource = dataSource): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [HealthModule],
      providers: [
        { provide: DataSource, useValue: dataSource },
        { provide: TRUST_READ_DATA_SOURCE, useValue: trustReadSource },
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
      exports: [DataSource, TRUST_READ_DATA_SOURCE],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy().catch(() => undefined);
    if (this.trustReadSource !== this.dataSource && this.trustReadSource.isInitialized) await this.trustReadSource.destroy().catch(() => undefined);
  }
}
