/**
 * Starts the whole broker as real processes for system tests: a fresh database and
 * Redis prefix, the built issuer-registry, one or more token-service replicas and, when
 * asked, the audit-worker; then speaks HTTP to them, through @trust-broker/testing's
 * serviceBackends and startService as apps/token-service/test/support/broker-environment.ts
 * does, plus the audit worker, a Redis or database URL of the test's own (a redis-server
 * it stops, a TCP proxy it cuts, a Redis Cluster).
 */
import { resolve } from 'node:path';
import { AdminApi, serviceBackends, startService, type RunningProcess, type TestDatabase, type TestRedisPrefix } from '@trust-broker/testing';

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

export async function startSystem(label: string, options: SystemOptions = {}): Promise<System> {
  const backends = await serviceBackends(label);
  const { database, redis, adminApiKey } = backends;
  const sharedEnv: Record<string, string> = {
    ...backends.sharedEnv,
    DATABASE_URL: options.databaseUrl ? options.databaseUrl(database.url) : database.url,
    REDIS_URL: options.redisUrl ?? redis.url,
    ...(options.redisClusterNodes ? { REDIS_CLUSTER_NODES: options.redisClusterNodes } : {}),
  };
  const started: Service[] = [];
  const stopAll = async () => {
    for (const service of started.reverse()) await service.process.stop();
    await backends.remove();
  };
  try {
    const registry = await startService(
      SCRIPTS.registry,
      { ...sharedEnv, OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true', OUTBOX_POLL_INTERVAL_MS: '100', UNKNOWN_KID_REFRESH_INTERVAL_S: '1', ...options.registryEnv },
      { portVariable: 'ISSUER_REGISTRY_PORT', name: 'issuer-registry', timeoutMs: START_TIMEOUT_MS },
    );
    started.push(registry);
    const startTokenService = async (env: Record<string, string> = {}): Promise<TokenService> => {
      const { url, process } = await startService(
        SCRIPTS.token,
        (issuer) => ({ ...sharedEnv, BROKER_ISSUER: issuer, ...options.tokenEnv, ...env }),
        { portVariable: 'TOKEN_SERVICE_PORT', name: 'token-service', timeoutMs: START_TIMEOUT_MS },
      );
      const service = { url, issuer: url, tokenEndpoint: `${url}/oauth2/token`, process };
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
        { portVariable: 'AUDIT_WORKER_PORT', name: 'audit-worker', timeoutMs: START_TIMEOUT_MS },
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
