/**
 * Test helpers over the real engines: every test run gets its own fresh Postgres
 * database and its own Redis key prefix, so runs never see each other's data.
 * Nothing here stands in for Postgres or Redis. Beside them, what several suites share:
 * signed assertions, the admin API client, OAuth form POSTs, a TCP proxy to cut, a
 * redis-server to stop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import Redis from 'ioredis';

export { AdminApi, type CreatedClient, type CreatedIssuer } from './admin-api';
export {
  assertionClaims,
  CLIENT_ASSERTION_TYPE,
  generatePartyKey,
  jwksOf,
  JWT_BEARER_GRANT,
  nowSeconds,
  signAssertion,
  unsecuredJwt,
  type PartyKey,
} from './assertions';
export { eventually } from './eventually';
export { getFreePort } from './get-free-port';
export { basicAuthorization, postForm, postFormFrom, type TokenAnswer } from './oauth-http';
export { OwnRedisServer, type OwnRedisServerOptions } from './redis-server';
export { TcpProxy } from './tcp-proxy';

export const TEST_POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** Creates a fresh, empty database `tb_test_<label>_<random>` and returns its URL. */
export async function createTestDatabase(label = 'run'): Promise<TestDatabase> {
  const name = `tb_test_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomBytes(5).toString('hex')}`;
  const admin = new Client({ connectionString: TEST_POSTGRES_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    async drop() {
      const c = new Client({ connectionString: TEST_POSTGRES_URL });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

export interface TestRedisPrefix {
  prefix: string;
  url: string;
  /** Deletes every key under the prefix. */
  clear(): Promise<void>;
}

/** A fresh Redis key prefix `tbtest-<label>-<random>` on the machine's Redis. */
export function createTestRedisPrefix(label = 'run'): TestRedisPrefix {
  const prefix = `tbtest-${label}-${randomBytes(5).toString('hex')}`;
  return {
    prefix,
    url: TEST_REDIS_URL,
    async clear() {
      const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
      await redis.connect();
      try {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
          cursor = next;
          if (keys.length > 0) await redis.unlink(...keys);
        } while (cursor !== '0');
      } finally {
        redis.disconnect();
      }
    },
  };
}

/** Polls `url` until it answers `expectStatus` (default 200) or `timeoutMs` passes. */
export async function waitForHttp(url: string, timeoutMs = 20000, expectStatus = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.status === expectStatus) return;
      last = `HTTP ${res.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer ${expectStatus} within ${timeoutMs} ms (last: ${last})`);
}

export interface RunningProcess {
  child: ChildProcess;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** What it printed on stdout alone. */
  stdout(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts `node <script> [...args]` with `env` added to the current environment. */
export function startNodeProcess(script: string, env: Record<string, string>, args: string[] = []): RunningProcess {
  const child = spawn(process.execPath, [script, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let stdout = '';
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  return {
    child,
    output: () => output,
    stdout: () => stdout,
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
    async stop(graceMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A random 32-byte key, base64: a `KEY_ENCRYPTION_KEY` for tests. */
export function randomKeyEncryptionKey(): string {
  return randomBytes(32).toString('base64');
}
