/**
 * `node dist/main.js`: migrate the audit schema (under the advisory lock), serve the audit
 * API on AUDIT_WORKER_PORT and consume the audit queue.
 * `node dist/main.js migrate`: migrate and exit.
 */
import 'reflect-metadata';
import { ConfigError, createAdminAuthGuard, createHttpApp, createRedis, ensureDatabaseExists, listen, runMigrationsWithLock } from '@trust-broker/service-kit';
import { AppModule } from './app.module';
import { AUDIT_SCHEMA, createAuditDataSource } from './audit-chain/audit-data-source';
import { ChainVerifier } from './audit-chain/chain-verifier';
import { ChainWriter } from './audit-chain/chain-writer';
import { AuditEventProcessor } from './audit-events/audit-event.processor';
import { AuditEventsRepository } from './audit-events/audit-events.repository';
import { EventBatcher } from './audit-events/event-batcher';
import { AuditWorkerRuntime } from './audit-worker.runtime';
import { loadAuditWorkerConfig, type AuditWorkerConfig } from './config/audit-worker.config';
import { RetentionService } from './retention/retention.service';
import { SigningKeysService } from './signing-keys/signing-keys.service';

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
  const signingKeys = new SigningKeysService(dataSource, config.keyEncryptionKey);
  const activeKey = await signingKeys.loadActiveKey(config.signingKey);
  const writer = new ChainWriter(dataSource, activeKey, config.checkpointEvery);
  const batcher = new EventBatcher((events) => writer.append(events), {
    batchSize: config.batchSize,
    waitMs: config.batchWaitMs,
    retryMaxMs: config.dbRetryMaxMs,
    maxInFlight: config.writesInFlight,
  });
  const processor = new AuditEventProcessor(batcher, {
    redisUrl: config.redisUrl,
    redisPrefix: config.redisPrefix,
    concurrency: config.batchSize * (config.writesInFlight + 1),
    lockDurationMs: config.lockDurationMs,
    stalledIntervalMs: config.stalledIntervalMs,
  });
  const runtime = new AuditWorkerRuntime(
    dataSource,
    createRedis(config.redisUrl, 'request'),
    writer,
    batcher,
    processor,
    new RetentionService(dataSource, config.retentionDays),
    config.checkpointIntervalMs,
  );
  const app = await createHttpApp(
    AppModule.register({
      runtime,
      adminAuth: createAdminAuthGuard(config.adminApiKey),
      events: new AuditEventsRepository(dataSource),
      verifier: new ChainVerifier(dataSource, () => signingKeys.trustedKeys()),
      signingKeys,
    }),
    { logLevel: config.logLevel },
  );
  const url = await listen(app, config.port);
  runtime.start();
  console.log(`audit-worker listening on ${url} (checkpoint key ${activeKey.kid})`);
  if (config.generated.adminApiKey) console.log(`audit-worker: generated ADMIN_API_KEY for this local run: ${config.generated.adminApiKey}`);
}

main().catch((error: unknown) => {
  console.error(`audit-worker failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
