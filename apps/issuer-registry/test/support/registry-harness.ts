/**
 * Starts the registry in-process against a fresh database and Redis prefix, with the real
 * migrations, and talks HTTP to it.
 */
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { listen } from '@trust-broker/service-kit/nest';
import { createTestDatabase, createTestRedisPrefix, randomKeyEncryptionKey, type TestDatabase, type TestRedisPrefix } from '@trust-broker/testing';
import { Client } from 'pg';
import { loadRegistryConfig, type RegistryConfig } from '../../src/config/registry.config';
import { createRegistryApp, migrateRegistryDatabase } from '../../src/registry-app';

export const ADMIN_KEY = 'test-admin-key-0123456789abcdefghijklmnopqrstuvwxyz';

export interface RegistryHarness {
  url: string;
  app: NestFastifyApplication;
  config: RegistryConfig;
  database: TestDatabase;
  redis: TestRedisPrefix;
  env: Record<string, string>;
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse>;
  sql<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export interface ApiResponse {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read JSON freely
  headers: Headers;
}

export async function startRegistry(label: string, extraEnv: Record<string, string> = {}, options: { databasePort?: number; redisPort?: number } = {}): Promise<RegistryHarness> {
  const database = await createTestDatabase(label);
  const appDatabaseUrl = new URL(database.url);
  if (options.databasePort !== undefined) appDatabaseUrl.port = String(options.databasePort);
  const redis = createTestRedisPrefix(label);
  const appRedisUrl = new URL(redis.url);
  if (options.redisPort !== undefined) appRedisUrl.port = String(options.redisPort);
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    DATABASE_URL: appDatabaseUrl.toString(),
    REDIS_URL: appRedisUrl.toString(),
    REDIS_PREFIX: redis.prefix,
    ADMIN_API_KEY: ADMIN_KEY,
    KEY_ENCRYPTION_KEY: randomKeyEncryptionKey(),
    LOG_LEVEL: 'silent',
    ISSUER_REGISTRY_PORT: '0',
    OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true',
    OUTBOX_POLL_INTERVAL_MS: '200',
    ...extraEnv,
  };
  const config = loadRegistryConfig(env);
  const { dataSource } = await migrateRegistryDatabase(config);
  const app = await createRegistryApp(config, dataSource);
  const url = await listen(app, 0, '127.0.0.1');
  const pg = new Client({ connectionString: database.url });
  await pg.connect();
  return {
    url,
    app,
    config,
    database,
    redis,
    env,
    async call(method, path, body, headers = {}) {
      const init: RequestInit = { method, headers: { authorization: `Bearer ${ADMIN_KEY}`, ...headers } };
      if (body !== undefined) {
        init.body = typeof body === 'string' ? body : JSON.stringify(body);
        (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
      }
      const response = await fetch(`${url}${path}`, init);
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        // not JSON: keep the text
      }
      return { status: response.status, body: parsed, headers: response.headers };
    },
    async sql<T>(text: string, params: unknown[] = []) {
      return (await pg.query(text, params)).rows as T[];
    },
    async close() {
      await app.close();
      await pg.end();
      await redis.clear();
      await database.drop();
    },
  };
}
