/**
 * Starts the real processes for end-to-end tests: a fresh database and Redis prefix,
 * the built issuer-registry (admin API, migrations of the registry schema, outbox relay,
 * key refresh) and the built token-service, and speaks HTTP to them.
 */
import { resolve } from 'node:path';
import { AdminApi, serviceBackends, startService, type RunningProcess, type StartedService, type TestDatabase, type TestRedisPrefix } from '@trust-broker/testing';

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
  const backends = await serviceBackends(label);
  const { database, redis, keyEncryptionKey, adminApiKey, sharedEnv } = backends;
  let registry: StartedService;
  try {
    registry = await startService(
      ISSUER_REGISTRY_SCRIPT,
      { ...sharedEnv, OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true', OUTBOX_POLL_INTERVAL_MS: '100', UNKNOWN_KID_REFRESH_INTERVAL_S: '1', ...registryEnv },
      { portVariable: 'ISSUER_REGISTRY_PORT', name: 'issuer-registry' },
    );
  } catch (error) {
    await backends.remove();
    throw error;
  }
  return {
    database,
    redis,
    keyEncryptionKey,
    adminApiKey,
    registryUrl: registry.url,
    registry: registry.process,
    admin: new AdminApi(registry.url, adminApiKey),
    sharedEnv,
    async stop() {
      await registry.process.stop();
      await backends.remove();
    },
  };
}

/** Starts a token-service of the environment (more than one may run: replicas). */
export async function startTokenService(environment: BrokerEnvironment, env: Record<string, string> = {}): Promise<TokenServiceInstance> {
  const service = await startService(
    TOKEN_SERVICE_SCRIPT,
    (url) => ({ ...environment.sharedEnv, BROKER_ISSUER: url, TRUST_RELOAD_INTERVAL_S: '30', ...env }),
    { portVariable: 'TOKEN_SERVICE_PORT', name: 'token-service' },
  );
  return { url: service.url, issuer: service.url, tokenEndpoint: `${service.url}/oauth2/token`, process: service.process };
}
