/**
 * The services of end-to-end tests as real processes (their built dist/main.js): what every
 * service of one test system shares, and one service started on a free port until it is ready.
 */
import { randomBytes } from 'node:crypto';
import { createTestDatabase, createTestRedisPrefix, randomKeyEncryptionKey, type TestDatabase, type TestRedisPrefix } from './backends';
import { getFreePort } from './get-free-port';
import { startNodeProcess, waitForHttp, type RunningProcess } from './processes';

export interface ServiceBackends {
  database: TestDatabase;
  redis: TestRedisPrefix;
  keyEncryptionKey: string;
  adminApiKey: string;
  /** DATABASE_URL, REDIS_URL, REDIS_PREFIX, KEY_ENCRYPTION_KEY, ADMIN_API_KEY, NODE_ENV=test, LOG_LEVEL=warn. */
  sharedEnv: Record<string, string>;
  /** Clears the Redis prefix and drops the database; a failure there no longer matters to the run. */
  remove(): Promise<void>;
}

/** A fresh database and Redis prefix, and generated keys, for the services of one test system. */
export async function serviceBackends(label: string): Promise<ServiceBackends> {
  const database = await createTestDatabase(label);
  const redis = createTestRedisPrefix(label);
  const keyEncryptionKey = randomKeyEncryptionKey();
  const adminApiKey = randomBytes(32).toString('base64url');
  return {
    database,
    redis,
    keyEncryptionKey,
    adminApiKey,
    sharedEnv: {
      DATABASE_URL: database.url,
      REDIS_URL: redis.url,
      REDIS_PREFIX: redis.prefix,
      KEY_ENCRYPTION_KEY: keyEncryptionKey,
      ADMIN_API_KEY: adminApiKey,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
    },
    async remove() {
      await redis.clear().catch(() => undefined);
      await database.drop().catch(() => undefined);
    },
  };
}

export interface StartServiceOptions {
  /** The variable that takes its port, e.g. `ISSUER_REGISTRY_PORT`. */
  portVariable: string;
  /** Names it in the error when it does not start. */
  name: string;
  /** What answers 200 once it is ready (default `/readyz`). */
  readyPath?: string;
  /** Sized for a loaded 2-core machine (default 120 s). */
  timeoutMs?: number;
}

export interface StartedService {
  /** `http://127.0.0.1:<port>` */
  url: string;
  process: RunningProcess;
}

/**
 * Starts `node <script>` on a free port and waits until it is ready; if it is not, stops it
 * and throws with what it printed. `env` may depend on the service's own URL (BROKER_ISSUER).
 */
export async function startService(script: string, env: Record<string, string> | ((url: string) => Record<string, string>), options: StartServiceOptions): Promise<StartedService> {
  const port = await getFreePort();
  const url = `http://127.0.0.1:${port}`;
  const child = startNodeProcess(script, { ...(typeof env === 'function' ? env(url) : env), [options.portVariable]: String(port) });
  try {
    await waitForHttp(`${url}${options.readyPath ?? '/readyz'}`, options.timeoutMs ?? 120_000);
  } catch (error) {
    await child.stop();
    throw new Error(`${options.name} did not start: ${(error as Error).message}\n${child.output()}`);
  }
  return { url, process: child };
}
