/**
 * Builds the registry: the database migrated under the advisory lock, then the Nest app
 * with its OpenAPI description. Used by main.ts and by the in-process tests.
 */
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import fastifyStatic, { type FastifyStaticOptions } from '@fastify/static';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { ensureDatabaseExists, runMigrationsWithLock } from '@trust-broker/service-kit/database';
import { createHttpApp } from '@trust-broker/service-kit/nest';
import type { DataSource } from 'typeorm';
import { AppModule } from './app.module';
import { registerConsoleSite } from './console/console-site';
import type { RegistryConfig } from './config/registry.config';
import { createRegistryDataSource, REGISTRY_SCHEMA } from './database/registry-data-source';

/** Creates the database if needed and runs pending migrations; returns the open DataSource. */
export async function migrateRegistryDatabase(config: RegistryConfig): Promise<{ dataSource: DataSource; applied: string[] }> {
  await ensureDatabaseExists(config.databaseUrl);
  const dataSource = createRegistryDataSource(config.databaseUrl);
  const applied = await runMigrationsWithLock(dataSource, REGISTRY_SCHEMA);
  return { dataSource, applied };
}

export async function createRegistryApp(config: RegistryConfig, dataSource: DataSource): Promise<NestFastifyApplication> {
  const app = await createHttpApp(AppModule.register(config, dataSource), { log: config.log, trustProxy: config.trustProxy });
  describeApi(app);
  await registerConsoleSite(app, config.console.dir);
  await app.init();
  return app;
}

function describeApi(app: NestFastifyApplication): void {
  // npm installs @fastify/static beside this app, where @nestjs/platform-fastify (hoisted
  // to the root) cannot require it: hand the swagger UI assets to our copy instead.
  const adapter = app.getHttpAdapter() as unknown as { useStaticAssets(options: FastifyStaticOptions): unknown; register(plugin: unknown, options: unknown): unknown };
  adapter.useStaticAssets = (options) => adapter.register(fastifyStatic, options);
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Trust Broker issuer registry')
      .setDescription('Admin API for trusted issuers (RFC 7523 §2.1) and clients (§2.2), and the keys held for them.')
      .setVersion('1')
      .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'opaque', description: 'the ADMIN_API_KEY' }, 'admin')
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'openapi.json', yamlDocumentUrl: 'openapi.yaml' });
}
