/**
 * Starts the whole broker as real processes for system tests: a fresh database and
 * Redis prefix, the built issuer-registry, one or more token-service replicas and, when
 * asked, the audit-worker; then speaks HTTP to them. Same approach as
 * apps/token-service/test/support/broker-environment.ts, plus the audit worker, a
 * Redis or database URL of the test's own (a redis-server it stops, a TCP proxy it cuts).
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

const APPS = resolve(__dirname, '../../../apps');
export const SCRIPTS = {
  registry: resolve(APPS, 'issuer-registry/dist/main.js'),
  token: resolve(APPS, 'token-service/dist/main.js'),
  audit: resolve(APPS, 'audit-worker/dist/main.js'),
};

/** Start waits sized for a loaded 2-core machine. */
const START_TIMEOUT_MS = 120_000;

export interface Service {
  url: string;
  process: RunningProcess;
}

export interface TokenService extends Service {
  issuer: string;
  tokenEndpoint: string;
}

export interface SystemOptions {
  /** A Redis URL of the test's own (default: the machine's Redis). */
  redisUrl?: string;
  /** `REDIS_CLUSTER_NODES` of a Redis Cluster of the test's own: every service uses it instead. */
  redisClusterNodes?: string;
  /** Rewrites the database URL the services use (e.g. through a TCP proxy the test cuts); the test's own connections stay direct. */
  databaseUrl?: (url: string) => string;
  registryEnv?: Record<string, string>;
  tokenEnv?: Record<string, string>;
  auditEnv?: Record<string, string>;
  tokenServices?: number;
  auditWorker?: boolean;
}

export interface System {
  database: TestDatabase;
  redis: TestRedisPrefix;
  adminApiKey: string;
  sharedEnv: Record<string, string>;
  registry: Service;
  tokens: TokenService[];
  audit?: Service;
  admin: AdminApi;
  startTokenService(env?: Record<string, string>): Promise<TokenService>;
  stop(): Promise<void>;
}

async function startService(script: string, env: Record<string, string>, portVariable: string, name: string): Promise<Service> {
  const port = await getFreePort();
  const child = startNodeProcess(script, { ...env, [portVariable]: String(port) });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/readyz`, START_TIMEOUT_MS);
  } catch (error) {
    await child.stop();
    throw new Error(`${name} did not start: ${(error as Error).message}\n${child.output()}`);
  }
  return { url, process: child };
}

export async function startSystem(label: string, options: SystemOptions = {}): Promise<System> {
  const database = await createTestDatabase(label);
  const redis = createTestRedisPrefix(label);
  const adminApiKey = randomBytes(32).toString('base64url');
  const sharedEnv: Record<string, string> = {
    DATABASE_URL: options.databaseUrl ? options.databaseUrl(database.url) : database.url,
    REDIS_URL: options.redisUrl ?? redis.url,
    REDIS_PREFIX: redis.prefix,
    ...(options.redisClusterNodes ? { REDIS_CLUSTER_NODES: options.redisClusterNodes } : {}),
    KEY_ENCRYPTION_KEY: randomKeyEncryptionKey(),
    ADMIN_API_KEY: adminApiKey,
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
  };
  const started: Service[] = [];
  const stopAll = async () => {
    for (const service of started.reverse()) await service.process.stop();
    await redis.clear().catch(() => undefined);
    await database.drop().catch(() => undefined);
  };
  try {
    const registry = await startService(
      SCRIPTS.registry,
      { ...sharedEnv, OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true', OUTBOX_POLL_INTERVAL_MS: '100', UNKNOWN_KID_REFRESH_INTERVAL_S: '1', ...options.registryEnv },
      'ISSUER_REGISTRY_PORT',
      'issuer-registry',
    );
    started.push(registry);
    const startTokenService = async (env: Record<string, string> = {}): Promise<TokenService> => {
      const port = await getFreePort();
      const issuer = `http://127.0.0.1:${port}`;
      const child = startNodeProcess(SCRIPTS.token, {
        ...sharedEnv,
        TOKEN_SERVICE_PORT: String(port),
        BROKER_ISSUER: issuer,
        ...options.tokenEnv,
        ...env,
      });
      try {
        await waitForHttp(`${issuer}/readyz`, START_TIMEOUT_MS);
      } catch (error) {
        await child.stop();
        throw new Error(`token-service did not start: ${(error as Error).message}\n${child.output()}`);
      }
      const service = { url: issuer, issuer, tokenEndpoint: `${issuer}/oauth2/token`, process: child };
      started.push(service);
      return service;
    };
    const tokens: TokenService[] = [];
    // One after the other: the first runs the migrations under the advisory lock.
    for (let i = 0; i < (options.tokenServices ?? 1); i++) tokens.push(await startTokenService());
    let audit: Service | undefined;
    if (options.auditWorker) {
      audit = await startService(
        SCRIPTS.audit,
        { ...sharedEnv, AUDIT_DB_RETRY_MAX_MS: '1000', ...options.auditEnv },
        'AUDIT_WORKER_PORT',
        'audit-worker',
      );
      started.push(audit);
    }
    return {
      database,
      redis,
      adminApiKey,
      sharedEnv,
      registry,
      tokens,
      audit,
      admin: new AdminApi(registry.url, adminApiKey),
      startTokenService,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
