/** `@trust-broker/service-kit/database`: TypeORM data sources, migrations under an advisory lock. */
export { createDataSource, runMigrationsWithLock, advisoryLockKey, ensureDatabaseExists, type DataSourceOptions } from '../database';
