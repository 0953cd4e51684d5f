/**
 * Postgres through TypeORM: one DataSource per app, its own schema and migrations table,
 * `synchronize` off. Migrations run at start under a Postgres advisory lock, so replicas
 * that start together run them once.
 */
import { createHash } from 'node:crypto';
import { DataSource, type DataSourceOptions as TypeOrmOptions } from 'typeorm';

export interface DataSourceOptions {
  url: string;
  /** The app's own schema (`registry`, `token`, `audit`). */
  schema: string;
  migrations: NonNullable<TypeOrmOptions['migrations']>;
  entities?: TypeOrmOptions['entities'];
  poolSize?: number;
  applicationName?: string;
}

export function createDataSource(options: DataSourceOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url: options.url,
    schema: options.schema,
    entities: options.entities ?? [],
    migrations: options.migrations,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: ['error'],
    applicationName: options.applicationName,
    extra: {
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: 5000,
      // A dead Postgres must not hang a request forever.
      statement_timeout: 15000,
      query_timeout: 16000,
    },
  });
}

/** A stable 64-bit advisory lock key for a name. */
export function advisoryLockKey(name: string): string {
  return BigInt.asIntN(64, BigInt('0x' + createHash('sha256').update(name).digest('hex').slice(0, 16))).toString();
}

/**
 * Creates the schema if missing and runs pending migrations while holding
 * `pg_advisory_lock(<schema>)` on one connection, so concurrent starts serialise.
 */
export async function runMigrationsWithLock(dataSource: DataSource, schema: string): Promise<string[]> {
  if (!dataSource.isInitialized) await dataSource.initialize();
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  const key = advisoryLockKey(`trust-broker:migrations:${schema}`);
  try {
    await runner.query(`SELECT pg_advisory_lock(${key})`);
    await runner.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await runner.query(`SELECT pg_advisory_unlock(${key})`).catch(() => undefined);
    await runner.release();
  }
}

/** Creates the database named in `url` if it does not exist (for local runs and tests). */
export async function ensureDatabaseExists(url: string): Promise<void> {
  const { Client } = await import('pg');
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (!name) return;
  const adminUrl = new URL(url);
  adminUrl.pathname = '/postgres';
  const client = new Client({ connectionString: adminUrl.toString() });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`).catch((error: { code?: string }) => {
        if (error.code !== '42P04') throw error; // created meanwhile by another process
      });
    }
  } finally {
    await client.end();
  }
}
