/**
 * `node dist/main.js`: migrate (under the advisory lock), then serve the admin API.
 * `node dist/main.js migrate`: migrate and exit.
 */
import 'reflect-metadata';
import { ConfigError } from '@trust-broker/service-kit/config';
import { configureLogging } from '@trust-broker/service-kit/logging';
import { listen } from '@trust-broker/service-kit/nest';
import { bootLogSettingsFromProcess, readRegistryConfig, type RegistryConfig } from './config/registry.config';
import { createRegistryApp, migrateRegistryDatabase } from './registry-app';

const logger = configureLogging(bootLogSettingsFromProcess());

async function main(): Promise<void> {
  const mode = process.argv[2] ?? 'serve';
  if (mode !== 'serve' && mode !== 'migrate') {
    logger.fatal(`unknown command "${mode}" (expected: migrate, or nothing to serve)`);
    process.exit(2);
  }
  const config = readConfigOrExit();
  const { dataSource, applied } = await migrateRegistryDatabase(config);
  logger.info(`issuer-registry migrations: ${applied.length === 0 ? 'up to date' : `applied ${applied.join(', ')}`}`);
  if (mode === 'migrate') {
    await dataSource.destroy();
    return;
  }
  for (const notice of config.startupNotices) logger.warn(`issuer-registry: ${notice}`);
  const app = await createRegistryApp(config, dataSource);
  const url = await listen(app, config.port);
  logger.info(`issuer-registry listening on ${url}`);
}

function readConfigOrExit(): RegistryConfig {
  try {
    return readRegistryConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      logger.fatal(`issuer-registry: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
}

main().catch((error: Error) => {
  logger.fatal({ err: error }, `issuer-registry failed to start: ${error.message}`);
  process.exit(1);
});
