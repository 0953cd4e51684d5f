/**
 * Starts the real processes for end-to-end tests: a fresh database and Redis prefix,
 * the built issuer-registry (admin API, migrations of the registry schema, outbox relay,
 * key refresh) and the built token-service, and speaks HTTP to them.
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import {
  AdminApi,
  createTestDatabase,
  createTestRedisPrefix,
  getFreePort,
  randomKeyEncryptionKey,
  startNodeProcess,
  waitForHttp,
  type RunningProcess,
  type TestDatabase,
  type TestRedisPrefix,
} from '@trust-broker/testing';

export const TOKEN_SERVICE_SCRIPT = resolve(__dirname, '../../dist/main.js');
export const ISSUER_REGISTRY_SCRIPT = resolve(__dirname, '../../../issuer-registry/dist/main.js');

export interface BrokerEnvironment {
  database: TestDatabase;
  redis: TestRedisPrefix;
  keyEncryptionKey: string;
  adminApiKey: string;
  registryUrl: string;
  registry: RunningProcess;
  admin: AdminApi;
  /** Settings shared by every process of this environment. */
  sharedEnv: Record<string, string>;
  stop(): Promise<void>;
}

export interface TokenServiceInstance {
  url: string;
  /** BROKER_ISSUER of this instance. */
  issuer: string;
  tokenEndpoint: string;
  process: RunningProcess;
}

export async function startBrokerEnvironment(label: string, registryEnv: Record<string, string> = {}): Promise<BrokerEnvironment> {
  const database = await createTestDatabase(label);
  const redis = createTestRedisPrefix(label);
  const keyEncryptionKey = randomKeyEncryptionKey();
  const adminApiKey = randomBytes(32).toString('base64url');
  const sharedEnv = {
    DATABASE_URL: database.url,
    REDIS_URL: redis.url,
    REDIS_PREFIX: redis.prefix,
    KEY_ENCRYPTION_KEY: keyEncryptionKey,
    ADMIN_API_KEY: adminApiKey,
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
  };
  const registryPort = await getFreePort();
  const registry = startNodeProcess(ISSUER_REGISTRY_SCRIPT, {
    ...sharedEnv,
    ISSUER_REGISTRY_PORT: String(registryPort),
    OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true',
    OUTBOX_POLL_INTERVAL_MS: '100',
    UNKNOWN_KID_REFRESH_INTERVAL_S: '1',
    ...registryEnv,
  });
  const registryUrl = `http://127.0.0.1:${registryPort}`;
  try {
    await waitForHttp(`${registryUrl}/readyz`, 120_000);
  } catch (error) {
    await registry.stop();
    throw new Error(`issuer-registry did not start: ${(error as Error).message}\n${registry.output()}`);
  }
  return {
    database,
    redis,
    keyEncryptionKey,
    adminApiKey,
    registryUrl,
    registry,
    admin: new AdminApi(registryUrl, adminApiKey),
    sharedEnv,
    async stop() {
      await registry.stop();
      await redis.clear().catch(() => undefined);
      await database.drop().catch(() => undefined);
    },
  };
}

/** Starts a token-service of the environment (more than one may run: replicas). */
export async function startTokenService(environment: BrokerEnvironment, env: Record<string, string> = {}): Promise<TokenServiceInstance> {
  const port = await getFreePort();
  const issuer = `http://127.0.0.1:${port}`;
  const child = startNodeProcess(TOKEN_SERVICE_SCRIPT, {
    ...environment.sharedEnv,
    TOKEN_SERVICE_PORT: String(port),
    BROKER_ISSUER: issuer,
    TRUST_RELOAD_INTERVAL_S: '30',
    ...env,
  });
  try {
    await waitForHttp(`${issuer}/readyz`, 120_000);
  } catch (error) {
    await child.stop();
    throw new Error(`token-service did not start: ${(error as Error).message}\n${child.output()}`);
  }
  return { url: issuer, issuer, tokenEndpoint: `${issuer}/oauth2/token`, process: child };
}
