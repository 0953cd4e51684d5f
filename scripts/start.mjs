#!/usr/bin/env node
/**
 * `npm start`: the whole Trust Broker on one machine with one command.
 *
 *   build (turbo) -> Postgres (DATABASE_URL, else an embedded one) -> database created
 *   if missing -> Redis (REDIS_URL, else redis-server) -> local secrets (.data/) ->
 *   each app's migrations -> the three services under one supervisor -> one block
 *   saying where each listens and the admin key, once all answer /readyz.
 *
 * Flags: --no-build (also TB_SKIP_BUILD=1), --demo (also TB_DEMO=1: lets the registry
 * fetch keys from loopback and private addresses, which the local demo needs; never
 * for a deployment). Data directory: TB_DATA_DIR, default ./.data. See scripts/README.md.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DATABASE_SECRETS, loadOrCreateLocalSecrets, perDatabaseSecretsFile } from './lib/local-secrets.mjs';
import { httpStatus, portIsFree, waitFor } from './lib/probes.mjs';
import { databaseName, ensurePostgres } from './lib/postgres.mjs';
import { ensureRedis } from './lib/redis.mjs';
import { Supervisor } from './lib/supervisor.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/trust_broker';
const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
const READY_TIMEOUT_MS = 180_000;

/** In migration order: the registry owns the tables token-service reads. */
const APPS = [
  { name: 'issuer-registry', portVariable: 'ISSUER_REGISTRY_PORT', defaultPort: 8081, role: 'admin API (docs at /docs)' },
  { name: 'token-service', portVariable: 'TOKEN_SERVICE_PORT', defaultPort: 8080, role: 'OAuth endpoints' },
  { name: 'audit-worker', portVariable: 'AUDIT_WORKER_PORT', defaultPort: 8082, role: 'audit API' },
];
/** @typedef {typeof APPS[number]} App */

/**
 * The entry of `apps` named `name` (one of APPS).
 * @template {App} A
 * @param {A[]} apps
 * @param {string} name
 * @returns {A}
 */
function appNamed(apps, name) {
  const app = apps.find((candidate) => candidate.name === name);
  if (!app) throw new Error(`no app ${name}`);
  return app;
}

const log = (/** @type {string} */ message) => process.stdout.write(`start | ${message}\n`);
const fail = (/** @type {string} */ message) => {
  process.stderr.write(`start | error: ${message}\n`);
  process.exitCode = 1;
};

/**
 * @param {string[]} argv
 * @param {NodeJS.ProcessEnv} env
 */
function parseFlags(argv, env) {
  /** @type {{ build: boolean, demo: boolean, help?: boolean }} */
  const flags = { build: env.TB_SKIP_BUILD !== '1', demo: env.TB_DEMO === '1' };
  for (const arg of argv) {
    if (arg === '--no-build') flags.build = false;
    else if (arg === '--demo') flags.demo = true;
    else if (arg === '--help' || arg === '-h') flags.help = true;
    else throw new Error(`unknown flag ${arg} (known: --no-build, --demo, --help)`);
  }
  return flags;
}

function buildAll() {
  log('building (npx turbo run build) ...');
  const result = spawnSync('npx', ['turbo', 'run', 'build', '--output-logs=errors-only'], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('the build failed (see above)');
}

/**
 * @param {App} app
 * @param {NodeJS.ProcessEnv} env
 */
function portOf(app, env) {
  const value = env[app.portVariable] ?? String(app.defaultPort);
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${app.portVariable}=${value} is not a port`);
  return port;
}

/**
 * @param {App} app
 * @param {NodeJS.ProcessEnv} env
 */
function runMigrations(app, env) {
  const script = join(ROOT, 'apps', app.name, 'dist', 'main.js');
  if (!existsSync(script)) throw new Error(`${relative(ROOT, script)} does not exist: build first (npx turbo run build)`);
  log(`migrating ${app.name} ...`);
  const result = spawnSync(process.execPath, [script, 'migrate'], { cwd: ROOT, env, encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`migrations of ${app.name} failed (exit ${result.status ?? result.signal}):\n${(result.stderr || result.stdout || '').trim()}`);
  }
}

/** Where a secrets file is, relative to the checkout when inside it. */
const shown = (/** @type {string} */ file) => (file.startsWith(`${ROOT}/`) ? relative(ROOT, file) : file);

/**
 * The one line that says what to run when a service stopped for good (exit 78): above all
 * a database whose keys were made with another KEY_ENCRYPTION_KEY (another checkout's, or
 * a secrets file deleted since).
 * @param {string} name
 * @param {string[]} lastLines
 * @param {string} databaseUrl
 * @param {string[]} secretsFiles
 */
function giveUpAdvice(name, lastLines, databaseUrl, secretsFiles) {
  if (lastLines.some((line) => line.includes('does not decrypt with this KEY_ENCRYPTION_KEY'))) {
    const url = new URL(databaseUrl);
    url.password = '';
    const fresh = new URL(url);
    fresh.pathname = `/${databaseName(databaseUrl)}_2`;
    return (
      `the database ${databaseName(databaseUrl)} at ${url.host} holds keys made with another KEY_ENCRYPTION_KEY than the one in ${secretsFiles.join(' and ')}` +
      ` (another checkout's, or a secrets file deleted since): run with that checkout's key (KEY_ENCRYPTION_KEY=... npm start), or on a new database: DATABASE_URL=${fresh.toString()} npm start`
    );
  }
  return `${name} cannot run as configured (its last lines are above); fix that and run npm start again`;
}

/**
 * @param {(App & { url: string })[]} apps
 * @param {NodeJS.ProcessEnv} env
 * @param {string} secretsFile
 */
function readyBanner(apps, env, secretsFile) {
  const lines = [
    '',
    '================ Trust Broker is ready ================',
    ...apps.map((app) => `  ${app.name.padEnd(16)} ${app.url.padEnd(24)} ${app.role}`),
    `  admin console    ${appNamed(apps, 'issuer-registry').url}/console   (sign in with the admin key below)`,
    `  token endpoint   ${env.BROKER_ISSUER}/oauth2/token`,
    `  admin key        ${env.ADMIN_API_KEY}`,
    `                   (kept in ${secretsFile}${env.ADMIN_API_KEY_FROM_ENV ? '; here from ADMIN_API_KEY' : ''})`,
    `  outbound fetches to private networks: ${env.OUTBOUND_ALLOW_PRIVATE_NETWORKS === 'true' ? 'allowed (for local demos and tests only)' : 'refused (npm start -- --demo allows them for the demo)'}`,
    '  try: npm run demo          Ctrl-C stops everything',
    '=======================================================',
    '',
  ];
  process.stdout.write(lines.join('\n'));
}

async function main() {
  const flags = parseFlags(process.argv.slice(2), process.env);
  if (flags.help) {
    process.stdout.write('usage: npm start [-- --no-build] [-- --demo]   (see scripts/README.md)\n');
    return;
  }
  const dataDir = resolve(process.env.TB_DATA_DIR || join(ROOT, '.data'));
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const secretsFile = join(dataDir, 'local-secrets.json');
  const stateFile = join(dataDir, 'broker.json');

  const ports = APPS.map((app) => ({ ...app, port: portOf(app, process.env) }));
  for (const app of ports) {
    if (!(await portIsFree(app.port))) {
      throw new Error(`port ${app.port} (${app.name}) is in use: stop what runs there (an earlier npm start?) or set ${app.portVariable}`);
    }
  }
  if (flags.build) buildAll();

  // The embedded Postgres' password lives with its data in the data dir; the database's
  // own secrets are chosen once it is known which database this run uses (below).
  const embeddedPassword = loadOrCreateLocalSecrets(secretsFile, process.env, { names: ['EMBEDDED_POSTGRES_PASSWORD'] }).EMBEDDED_POSTGRES_PASSWORD;
  /** @type {(() => Promise<unknown>)[]} */
  const cleanups = [];
  const stopAll = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((/** @type {Error} */ error) => log(`while stopping: ${error.message}`));
    cleanups.length = 0;
  };
  let stopping = false;
  const onSignal = (/** @type {string} */ signal) => {
    if (stopping) {
      log(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    log(`${signal}: stopping every service ...`);
    void stopAll().then(() => {
      log('stopped');
      process.exit(0);
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // `kill <npm pid>` ends npm and its shell but does not reach this process: once
  // orphaned, stop everything as on a signal instead of leaving the services running.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) onSignal('parent process gone');
  }, 1000).unref();

  try {
    const postgres = await ensurePostgres({
      databaseUrl: process.env.DATABASE_URL || DEFAULT_DATABASE_URL,
      dataDir,
      password: embeddedPassword,
      log,
    });
    cleanups.push(postgres.stop);
    // A Postgres server's database may have been used by another checkout: its keys are in
    // the database's own secrets file, outside the checkout.
    const databaseFile = postgres.embedded ? undefined : perDatabaseSecretsFile(postgres.databaseUrl, process.env);
    const secrets = loadOrCreateLocalSecrets(secretsFile, process.env, { names: DATABASE_SECRETS, databaseFile });
    const secretsFiles = [secretsFile, ...(databaseFile ? [databaseFile] : [])].map(shown);
    const redis = await ensureRedis({ redisUrl: process.env.REDIS_URL || DEFAULT_REDIS_URL, dataDir, log });
    cleanups.push(redis.stop);

    const tokenPort = appNamed(ports, 'token-service').port;
    /** @type {NodeJS.ProcessEnv} */
    const env = {
      ...process.env,
      DATABASE_URL: postgres.databaseUrl,
      REDIS_URL: redis.redisUrl,
      REDIS_PREFIX: process.env.REDIS_PREFIX || 'tb',
      BROKER_ISSUER: process.env.BROKER_ISSUER || `http://localhost:${tokenPort}`,
      ADMIN_API_KEY: secrets.ADMIN_API_KEY,
      KEY_ENCRYPTION_KEY: secrets.KEY_ENCRYPTION_KEY,
      LOG_LEVEL: process.env.LOG_LEVEL || 'info',
      ...Object.fromEntries(ports.map((app) => [app.portVariable, String(app.port)])),
      ...(flags.demo ? { OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true' } : {}),
      // Colour codes only where a terminal shows them, not in files or CI logs.
      ...(process.stdout.isTTY ? {} : { NO_COLOR: '1' }),
    };
    delete env.EMBEDDED_POSTGRES_PASSWORD;

    for (const app of ports) runMigrations(app, env);

    const supervisor = new Supervisor(
      ports.map((app) => ({ name: app.name, command: process.execPath, args: [join(ROOT, 'apps', app.name, 'dist', 'main.js')], env, cwd: ROOT })),
      {
        // A service that cannot run as configured is not restarted in a loop: say what to run, stop.
        onGiveUp: (name, lastLines) => {
          if (stopping) return;
          stopping = true;
          fail(giveUpAdvice(name, lastLines, postgres.databaseUrl, secretsFiles));
          void stopAll().then(() => process.exit(1));
        },
      },
    );
    cleanups.push(() => supervisor.stop());
    supervisor.start();

    const apps = ports.map((app) => ({ ...app, url: `http://localhost:${app.port}` }));
    let notReady = apps.map((app) => app.name);
    await waitFor(
      'all three services answering /readyz',
      async () => {
        const statuses = await Promise.all(apps.map((app) => httpStatus(`http://127.0.0.1:${app.port}/readyz`)));
        notReady = apps.flatMap((app, index) => (statuses[index] === 200 ? [] : [`${app.name} (${statuses[index] ? `HTTP ${statuses[index]}` : 'no answer'})`]));
        return notReady.length === 0;
      },
      READY_TIMEOUT_MS,
      500,
    ).catch(() => {
      throw new Error(`not ready after ${READY_TIMEOUT_MS / 1000} s: ${notReady.join(', ')}; see their log lines above`);
    });
    const state = {
      token_url: `${env.BROKER_ISSUER}/oauth2/token`,
      broker_issuer: env.BROKER_ISSUER,
      registry_url: appNamed(apps, 'issuer-registry').url,
      audit_url: appNamed(apps, 'audit-worker').url,
      allow_private_networks: env.OUTBOUND_ALLOW_PRIVATE_NETWORKS === 'true',
      pid: process.pid,
    };
    writeFileSync(stateFile, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
    cleanups.unshift(async () => rmSync(stateFile, { force: true }));
    readyBanner(apps, { ...env, ADMIN_API_KEY_FROM_ENV: process.env.ADMIN_API_KEY ? '1' : '' }, secretsFiles.join(' and '));
  } catch (error) {
    await stopAll();
    throw error;
  }
}

main().catch((error) => {
  fail(error.message);
  process.exit(1);
});
