/**
 * `node dist/main.js`: migrate the audit schema (under the advisory lock), serve the audit
 * API on AUDIT_WORKER_PORT and consume the audit queue.
 * `node dist/main.js migrate`: migrate and exit.
 */
import 'reflect-metadata';
import { ConfigError } from '@trust-broker/service-kit/config';
import { configureLogging } from '@trust-broker/service-kit/logging';
import { ensureDatabaseExists, runMigrationsWithLock } from '@trust-broker/service-kit/database';
import { createHttpApp, listen } from '@trust-broker/service-kit/nest';
import { AppModule } from './app.module';
import { AUDIT_SCHEMA, createAuditDataSource } from './audit-chain/audit-data-source';
import { AuditWorkerRuntime } from './audit-worker.runtime';
import { ACTIVE_CHECKPOINT_KEY } from './audit-worker.tokens';
import { bootLogSettingsFromProcess, loadAuditWorkerConfig, type AuditWorkerConfig } from './config/audit-worker.config';
import type { ActiveSigningKey } from './signing-keys/signing-keys.service';

const logger = configureLogging(bootLogSettingsFromProcess());

function readConfig(): AuditWorkerConfig {
  try {
    return loadAuditWorkerConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      logger.fatal(`audit-worker: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
}

async function main(): Promise<void> {
  const config = readConfig();
  const command = process.argv[2];
  if (command !== undefined && command !== 'migrate') {
    logger.fatal(`audit-worker: unknown command "${command}" (expected none or "migrate")`);
    process.exit(2);
  }
  if (config.nodeEnv !== 'production') await ensureDatabaseExists(config.databaseUrl);
  const dataSource = createAuditDataSource(config.databaseUrl);
  const applied = await runMigrationsWithLock(dataSource, AUDIT_SCHEMA);
  if (command === 'migrate') {
    logger.info(`audit-worker: migrations applied: ${applied.length > 0 ? applied.join(', ') : 'none pending'}`);
    await dataSource.destroy();
    return;
  }

  if (config.generated.keyEncryptionKey) {
    logger.warn('audit-worker: KEY_ENCRYPTION_KEY not set; using a random one for this run (a stored signing key will not be readable after a restart)');
  }
  const app = await createHttpApp(AppModule.forRoot(config, dataSource), { log: config.log, trustProxy: config.trustProxy });
  const activeKey = app.get<ActiveSigningKey>(ACTIVE_CHECKPOINT_KEY);
  const url = await listen(app, config.port);
  app.get(AuditWorkerRuntime).start();
  logger.info(`audit-worker listening on ${url} (checkpoint key ${activeKey.kid})`);
  if (config.generated.adminApiKey) logger.warn(`audit-worker: generated ADMIN_API_KEY for this local run: ${config.generated.adminApiKey}`);
}

main().catch((error: unknown) => {
  logger.fatal({ err: error }, `audit-worker failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
