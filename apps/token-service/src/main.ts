/**
 * token-service entry point: config → migrations of the `token` schema (under the
 * advisory lock) → HTTP. `node dist/main.js migrate` only migrates and exits.
 */
import 'reflect-metadata';
import cluster from 'node:cluster';
import { ConfigError } from '@trust-broker/service-kit/config';
import { configureLogging, type ServiceLogger } from '@trust-broker/service-kit/logging';
import { createDataSource, ensureDatabaseExists, runMigrationsWithLock } from '@trust-broker/service-kit/database';
import { createHttpApp, listen } from '@trust-broker/service-kit/nest';
import { AppModule } from './app.module';
import { bootLogSettingsFromProcess, loadTokenServiceConfigFromProcess, type TokenServiceConfig } from './config/token-service.config';
import { TOKEN_MIGRATIONS, TOKEN_SCHEMA } from './migrations';
import { SigningKeyError } from './signing-keys/signing-keys.errors';
import { superviseWorkers } from './workers/worker-supervisor';

/**
 * sysexits' EX_CONFIG: this process cannot run as configured and a restart would fail the
 * same way (stored keys made under another KEY_ENCRYPTION_KEY); supervisors stop restarting.
 */
const EXIT_CONFIG = 78;

function cannotRunAsConfigured(error: unknown): boolean {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    if (cause instanceof SigningKeyError && cause.code === 'signing_key_undecryptable') return true;
  }
  return false;
}

/** CONTRACT.md: a body over 1,048,576 bytes is 413. */
const BODY_LIMIT_BYTES = 1_048_576;

const logger: ServiceLogger = configureLogging(bootLogSettingsFromProcess());

function readConfig(): TokenServiceConfig {
  try {
    return loadTokenServiceConfigFromProcess();
  } catch (error) {
    if (error instanceof ConfigError) {
      logger.fatal(`token-service: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
}

async function main(): Promise<void> {
  const config = readConfig();
  for (const warning of config.warnings) logger.warn(`WARNING: ${warning}`);
  if (config.nodeEnv !== 'production') await ensureDatabaseExists(config.databaseUrl);

  const dataSource = createDataSource({
    url: config.databaseUrl,
    schema: TOKEN_SCHEMA,
    migrations: TOKEN_MIGRATIONS,
    applicationName: 'token-service',
  });
  const applied = await runMigrationsWithLock(dataSource, TOKEN_SCHEMA);
  if (process.argv[2] === 'migrate') {
    logger.info(`token-service: migrations applied: ${applied.length > 0 ? applied.join(', ') : 'none pending'}`);
    await dataSource.destroy();
    return;
  }
  if (cluster.isPrimary && config.workers > 1) {
    // Migrated above; each worker runs main() again (its migrations then find nothing to do).
    await dataSource.destroy();
    superviseWorkers(config.workers);
    return;
  }

  // Trust reloads read a replica when DATABASE_READ_URL names one (README "Postgres read replica").
  let trustReadSource = dataSource;
  if (config.databaseReadUrl !== config.databaseUrl) {
    trustReadSource = createDataSource({ url: config.databaseReadUrl, schema: TOKEN_SCHEMA, migrations: [], applicationName: 'token-service-trust-reads', poolSize: 4 });
    await trustReadSource.initialize();
  }
  const app = await createHttpApp(AppModule.forRoot(config, dataSource, trustReadSource), { bodyLimit: BODY_LIMIT_BYTES, log: config.log, trustProxy: config.trustProxy });
  const url = await listen(app, config.port);
  logger.info(`token-service listening on ${url}`);
}

main().catch((error: unknown) => {
  logger.fatal({ err: error }, `token-service: failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(cannotRunAsConfigured(error) ? EXIT_CONFIG : 1);
});
