/**
 * `node dist/main.js`: migrate the audit schema (under the advisory lock), serve the audit
 * API on AUDIT_WORKER_PORT and consume the audit queue.
 * `node dist/main.js migrate`: migrate and exit.
 */
import 'reflect-metadata';
import { ConfigError, createHttpApp, ensureDatabaseExists, listen, runMigrationsWithLock } from '@trust-broker/service-kit';
import { AppModule } from './app.module';
import { AUDIT_SCHEMA, createAuditDataSource } from './audit-chain/audit-data-source';
import { AuditWorkerRuntime } from './audit-worker.runtime';
import { ACTIVE_CHECKPOINT_KEY } from './audit-worker.tokens';
import { loadAuditWorkerConfig, type AuditWorkerConfig } from './config/audit-worker.config';
import type { ActiveSigningKey } from './signing-keys/signing-keys.service';

function readConfig(): AuditWorkerConfig {
  try {
    return loadAuditWorkerConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`audit-worker: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
}

async function main(): Promise<void> {
  const config = readConfig();
  const command = process.argv[2];
  if (command !== undefined && command !== 'migrate') {
    console.error(`audit-worker: unknown command "${command}" (expected none or "migrate")`);
    process.exit(2);
  }
  if (config.nodeEnv !== 'production') await ensureDatabaseExists(config.databaseUrl);
  const dataSource = createAuditDataSource(config.databaseUrl);
  const applied = await runMigrationsWithLock(dataSource, AUDIT_SCHEMA);
  if (command === 'migrate') {
    console.log(`audit-worker: migrations applied: ${applied.length > 0 ? applied.join(', ') : 'none pending'}`);
    await dataSource.destroy();
    return;
  }

  if (config.generated.keyEncryptionKey) {
    console.warn('audit-worker: KEY_ENCRYPTION_KEY not set; using a random one for this run (a stored signing key will not be readable after a restart)');
  }
  const app = await createHttpApp(AppModule.forRoot(config, dataSource), { logLevel: config.logLevel });
  const activeKey = app.get<ActiveSigningKey>(ACTIVE_CHECKPOINT_KEY);
  const url = await listen(app, config.port);
  app.get(AuditWorkerRuntime).start();
  console.log(`audit-worker listening on ${url} (checkpoint key ${activeKey.kid})`);
  if (config.generated.adminApiKey) console.log(`audit-worker: generated ADMIN_API_KEY for this local run: ${config.generated.adminApiKey}`);
}

main().catch((error: unknown) => {
  console.error(`audit-worker failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
