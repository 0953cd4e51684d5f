#!/usr/bin/env node
/**
 * Figures for the local run, printed (never asserted): how long `scripts/start.mjs`
 * takes to be ready (built already), how long the demo runs, the latency of
 * client_credentials token requests through the CLI library, and how long a SIGTERM
 * takes to stop everything. Runs in a fresh database and Redis prefix on free ports,
 * against the Postgres and Redis of DATABASE_URL's server / REDIS_URL.
 *
 *   node scripts/bench-start.mjs [--requests 200]
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import Redis from 'ioredis';
import { AdminApi, requestToken } from '@trust-broker/cli';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ADMIN_DB_URL = process.env.DATABASE_URL ? Object.assign(new URL(process.env.DATABASE_URL), { pathname: '/postgres' }).toString() : 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const requestsIndex = process.argv.indexOf('--requests');
const REQUESTS = requestsIndex > 0 ? Number(process.argv[requestsIndex + 1]) : 200;

const freePort = () =>
  new Promise((resolvePort) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function withAdminDb(fn) {
  const client = new pg.Client({ connectionString: ADMIN_DB_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function main() {
  const id = randomBytes(4).toString('hex');
  const database = `tb_bench_${id}`;
  const prefix = `tbbench-${id}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'tb-bench-'));
  const ports = { token: await freePort(), registry: await freePort(), audit: await freePort() };
  await withAdminDb((client) => client.query(`CREATE DATABASE "${database}"`));
  const databaseUrl = Object.assign(new URL(ADMIN_DB_URL), { pathname: `/${database}` }).toString();
  const figures = {};
  let output = '';
  const started = Date.now();
  const broker = spawn(process.execPath, [join(ROOT, 'scripts', 'start.mjs'), '--no-build', '--demo'], {
    env: {
      ...process.env,
      TB_DATA_DIR: dataDir,
      // The fresh database's secrets file goes with the run's data, not into the home directory.
      TB_SECRETS_DIR: dataDir,
      DATABASE_URL: databaseUrl,
      REDIS_URL,
      REDIS_PREFIX: prefix,
      TOKEN_SERVICE_PORT: String(ports.token),
      ISSUER_REGISTRY_PORT: String(ports.registry),
      AUDIT_WORKER_PORT: String(ports.audit),
      BROKER_ISSUER: `http://127.0.0.1:${ports.token}`,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  broker.stdout.on('data', (chunk) => (output += chunk));
  broker.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise((r) => broker.once('exit', r));
  try {
    while (!output.includes('Trust Broker is ready')) {
      if (broker.exitCode !== null) throw new Error(`start.mjs exited ${broker.exitCode}:\n${output}`);
      if (Date.now() - started > 300_000) throw new Error('not ready within 300 s');
      await new Promise((r) => setTimeout(r, 50));
    }
    figures['start.mjs --no-build: spawn to ready (fresh DB, migrations, 3 services)'] = `${((Date.now() - started) / 1000).toFixed(1)} s`;

    const demoStart = Date.now();
    const demo = spawnSync(process.execPath, [join(ROOT, 'scripts', 'demo.mjs')], { env: { ...process.env, TB_DATA_DIR: dataDir }, encoding: 'utf8' });
    if (demo.status !== 0) throw new Error(`demo failed:\n${demo.stdout}\n${demo.stderr}`);
    figures['npm run demo, 9 steps (includes a deliberate wait of up to 10.5 s for the key-fetch rate limit)'] = `${((Date.now() - demoStart) / 1000).toFixed(1)} s`;

    const adminKey = JSON.parse(readFileSync(join(dataDir, 'local-secrets.json'), 'utf8')).ADMIN_API_KEY;
    const registry = new AdminApi(`http://127.0.0.1:${ports.registry}`, adminKey);
    const client = await registry.call('POST', '/v1/clients', { json: { client_id: `bench-${id}`, token_endpoint_auth_method: 'client_secret_basic', scope: 'read' } });
    const tokenUrl = `http://127.0.0.1:${ports.token}/oauth2/token`;
    const auth = { method: 'client_secret_basic', clientId: client.client_id, clientSecret: client.client_secret };
    for (let attempt = 0; ; attempt += 1) {
      try {
        await requestToken(tokenUrl, { grantType: 'client_credentials' }, auth);
        break;
      } catch (error) {
        if (attempt > 40) throw error;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    const latencies = [];
    for (let i = 0; i < REQUESTS; i += 1) {
      const t0 = process.hrtime.bigint();
      await requestToken(tokenUrl, { grantType: 'client_credentials' }, auth);
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    latencies.sort((a, b) => a - b);
    figures[`client_credentials through the CLI library, ${REQUESTS} sequential requests: p50 / p95 / max`] =
      `${percentile(latencies, 50).toFixed(1)} / ${percentile(latencies, 95).toFixed(1)} / ${latencies.at(-1).toFixed(1)} ms`;
  } finally {
    const stopStart = Date.now();
    if (broker.exitCode === null) broker.kill('SIGTERM');
    await exited;
    figures['SIGTERM to every process stopped'] = `${((Date.now() - stopStart) / 1000).toFixed(1)} s`;
    await withAdminDb((client) => client.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`));
    const redis = new Redis(REDIS_URL);
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
    redis.disconnect();
    rmSync(dataDir, { recursive: true, force: true });
  }
  const cpus = (await import('node:os')).cpus().length;
  process.stdout.write(`\nnpm start figures (${cpus} CPUs, Node ${process.version}):\n`);
  for (const [what, value] of Object.entries(figures)) process.stdout.write(`  ${value.padStart(26)}  ${what}\n`);
}

main().catch((error) => {
  process.stderr.write(`bench failed: ${error.message}\n`);
  process.exitCode = 1;
});
