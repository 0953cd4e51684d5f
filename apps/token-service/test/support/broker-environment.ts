/**
 * Starts the real processes for end-to-end tests: a fresh database and Redis prefix,
 * the built issuer-registry (admin API, migrations of the registry schema, outbox relay,
 * key refresh) and the built token-service, and speaks HTTP to them.
 */
import { resolve } from 'node:path';
import { AdminApi, serviceBackends, startService, type RunningProcess, type ServiceBackends, type StartedService } from '@trust-broker/testing';

export const TOKEN_SERVICE_SCRIPT = resolve(__dirname, '../../dist/main.js');
export const ISSUER_REGISTRY_SCRIPT = resolve(__dirname, '../../../issuer-registry/dist/main.js');

/** The backends every process of the environment shares (`sharedEnv`: their settings), and the registry serving them. */
export interface BrokerEnvironment extends Omit<ServiceBackends, 'remove'> {
  registryUrl: string;
  registry: RunningProcess;
  admin: AdminApi;
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
  const { remove, ...backends } = await serviceBackends(label);
  let registry: StartedService;
  try {
    registry = await startService(
      ISSUER_REGISTRY_SCRIPT,
      { ...backends.sharedEnv, OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true', OUTBOX_POLL_INTERVAL_MS: '100', UNKNOWN_KID_REFRESH_INTERVAL_S: '1', ...registryEnv },
      { portVariable: 'ISSUER_REGISTRY_PORT', name: 'issuer-registry' },
    );
  } catch (error) {
    await remove();
    throw error;
  }
  return {
    ...backends,
    registryUrl: registry.url,
    registry: registry.process,
    admin: new AdminApi(registry.url, backends.adminApiKey),
    async stop() {
      await registry.process.stop();
      await remove();
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
