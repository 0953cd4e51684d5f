/**
 * The whole system as `npm start` starts it (scripts/start.mjs, after turbo's build): a
 * fresh database and Redis prefix, free ports, a data folder of the run's own, and the line
 * that says it is ready.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, createTestRedisPrefix, type TestDatabase, type TestRedisPrefix } from './backends';
import { eventually } from './eventually';
import { getFreePort } from './get-free-port';
import { startNodeProcess, type RunningProcess } from './processes';

/** What start.mjs prints once the three services answer. */
export const READY_BANNER = 'Trust Broker is ready';

export interface SystemPorts {
  token: number;
  registry: number;
  audit: number;
}

/** start.mjs's settings for a run: its database, Redis prefix and free ports; the broker's issuer on the token port. */
export async function npmStartEnv(database: TestDatabase, redis: TestRedisPrefix): Promise<{ ports: SystemPorts; env: Record<string, string> }> {
  const ports = { token: await getFreePort(), registry: await getFreePort(), audit: await getFreePort() };
  const env = {
    DATABASE_URL: database.url,
    REDIS_URL: redis.url,
    REDIS_PREFIX: redis.prefix,
    TOKEN_SERVICE_PORT: String(ports.token),
    ISSUER_REGISTRY_PORT: String(ports.registry),
    AUDIT_WORKER_PORT: String(ports.audit),
    BROKER_ISSUER: `http://127.0.0.1:${ports.token}`,
  };
  return { ports, env };
}

/** Waits until start.mjs prints READY_BANNER; throws with the end of its output if it exits first or takes longer. */
export async function untilReady(broker: RunningProcess, timeoutMs = 240_000): Promise<void> {
  await eventually(
    async () => {
      if (broker.child.exitCode !== null) throw new Error(`start.mjs exited ${broker.child.exitCode}`);
      return broker.output().includes(READY_BANNER);
    },
    timeoutMs,
    250,
  ).catch((error: Error) => {
    throw new Error(`${error.message}\n--- output ---\n${broker.output().slice(-4000)}`);
  });
}

export interface WholeSystem {
  database: TestDatabase;
  redis: TestRedisPrefix;
  ports: SystemPorts;
  /** TB_DATA_DIR and TB_SECRETS_DIR: local-secrets.json is written here, never into the home directory. */
  dataDir: string;
  broker: RunningProcess;
  /** SIGTERM to start.mjs (it stops the services), then the database, Redis prefix and data folder go. */
  stop(): Promise<void>;
}

export interface WholeSystemOptions {
  /** scripts/start.mjs of the checkout under test. */
  script: string;
  /** More settings (ADMIN_API_KEY, LOG_LEVEL, ...), over the run's own. */
  env?: Record<string, string>;
  args?: string[];
  readyTimeoutMs?: number;
}

/** Runs `node <script> [...args]` for a test and waits until it is ready. */
export async function startWholeSystem(label: string, { script, env = {}, args = [], readyTimeoutMs }: WholeSystemOptions): Promise<WholeSystem> {
  const database = await createTestDatabase(label);
  const redis = createTestRedisPrefix(label);
  const dataDir = mkdtempSync(join(tmpdir(), `tb-${label}-`));
  const { ports, env: runEnv } = await npmStartEnv(database, redis);
  const broker = startNodeProcess(script, { TB_DATA_DIR: dataDir, TB_SECRETS_DIR: dataDir, ...runEnv, ...env }, args);
  const stop = async () => {
    await broker.stop(30_000);
    await database.drop().catch(() => undefined);
    await redis.clear().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await untilReady(broker, readyTimeoutMs);
  } catch (error) {
    await stop();
    throw error;
  }
  return { database, redis, ports, dataDir, broker, stop };
}
