#!/usr/bin/env node
/**
 * Figures for the local run, printed (never asserted): how long `scripts/start.mjs`
 * takes to be ready (built already), how long the demo runs, the latency of
 * client_credentials token requests through the CLI library, and how long a SIGTERM
 * takes to stop everything. Started as the end-to-end tests start it (startWholeSystem of
 * @trust-broker/testing): a fresh database and Redis prefix on TEST_POSTGRES_URL's server
 * and TEST_REDIS_URL, free ports, a data folder of its own.
 *
 *   node scripts/bench-start.mjs [--requests 200]
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AdminApi, requestToken } from '@trust-broker/cli';
import testing from '@trust-broker/testing';

const { startWholeSystem } = testing;

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const requestsIndex = process.argv.indexOf('--requests');
const REQUESTS = requestsIndex > 0 ? Number(process.argv[requestsIndex + 1]) : 200;

const percentile = (/** @type {number[]} */ sorted, /** @type {number} */ p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const secondsSince = (/** @type {number} */ start) => `${((Date.now() - start) / 1000).toFixed(1)} s`;

async function main() {
  /** @type {Record<string, string>} */
  const figures = {};
  const started = Date.now();
  const system = await startWholeSystem('benchstart', {
    script: join(ROOT, 'scripts', 'start.mjs'),
    args: ['--no-build', '--demo'],
    env: { LOG_LEVEL: 'warn' },
    readyTimeoutMs: 300_000,
  });
  figures['start.mjs --no-build: fresh database created, spawn to ready (migrations, 3 services)'] = secondsSince(started);
  try {
    const demoStart = Date.now();
    const demo = spawnSync(process.execPath, [join(ROOT, 'scripts', 'demo.mjs')], { env: { ...process.env, TB_DATA_DIR: system.dataDir }, encoding: 'utf8' });
    if (demo.status !== 0) throw new Error(`demo failed:\n${demo.stdout}\n${demo.stderr}`);
    figures['npm run demo, 10 steps (includes a deliberate wait of up to 10.5 s for the key-fetch rate limit)'] = secondsSince(demoStart);

    /** @type {string} */
    const adminKey = JSON.parse(readFileSync(join(system.dataDir, 'local-secrets.json'), 'utf8')).ADMIN_API_KEY;
    const registry = new AdminApi(`http://127.0.0.1:${system.ports.registry}`, adminKey);
    /** @type {{ client_id: string, client_secret: string }} */
    const client = await registry.call('POST', '/v1/clients', { json: { client_id: `bench-${randomBytes(4).toString('hex')}`, token_endpoint_auth_method: 'client_secret_basic', scope: 'read' } });
    const tokenUrl = `http://127.0.0.1:${system.ports.token}/oauth2/token`;
    /** @type {import('@trust-broker/cli').ClientAuthentication} */
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
    /** @type {number[]} */
    const latencies = [];
    for (let i = 0; i < REQUESTS; i += 1) {
      const t0 = process.hrtime.bigint();
      await requestToken(tokenUrl, { grantType: 'client_credentials' }, auth);
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    latencies.sort((a, b) => a - b);
    figures[`client_credentials through the CLI library, ${REQUESTS} sequential requests: p50 / p95 / max`] =
      `${percentile(latencies, 50).toFixed(1)} / ${percentile(latencies, 95).toFixed(1)} / ${latencies[latencies.length - 1].toFixed(1)} ms`;
  } finally {
    const stopStart = Date.now();
    await system.broker.stop(30_000);
    figures['SIGTERM to every process stopped'] = secondsSince(stopStart);
    // The broker has stopped: this drops the database, clears the Redis prefix and removes the data folder.
    await system.stop();
  }
  process.stdout.write(`\nnpm start figures (${cpus().length} CPUs, Node ${process.version}):\n`);
  for (const [what, value] of Object.entries(figures)) process.stdout.write(`  ${value.padStart(26)}  ${what}\n`);
}

main().catch((error) => {
  process.stderr.write(`bench failed: ${error.message}\n`);
  process.exitCode = 1;
});
