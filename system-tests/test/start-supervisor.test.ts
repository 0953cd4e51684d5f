/**
 * The pieces of `npm start` (scripts/lib): the supervisor with real child processes
 * (prefixed output, restart with backoff after a crash, stop), and the local secrets
 * file (generated once, mode 0600, kept across restarts, env wins).
 */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { eventually } from '@trust-broker/testing';

const SCRIPTS = resolve(__dirname, '..', '..', 'scripts', 'lib');
// The scripts are plain ESM (JSDoc types, checked in their own workspace, which this one
// cannot import types from); jest compiles them to CommonJS on require.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Supervisor, restartDelayMs } = require(join(SCRIPTS, 'supervisor.mjs')) as {
  Supervisor: new (
    services: Array<{ name: string; command: string; args: string[]; env: Record<string, string> }>,
    options: Record<string, unknown>,
  ) => { start(): void; stop(): Promise<void>; pidOf(name: string): number | undefined; restartsOf(name: string): number };
  restartDelayMs: (attempt: number, initialMs?: number, maxMs?: number) => number;
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { loadOrCreateLocalSecrets, perDatabaseSecretsFile } = require(join(SCRIPTS, 'local-secrets.mjs')) as {
  loadOrCreateLocalSecrets: (file: string, env: Record<string, string | undefined>, options?: { names?: string[]; databaseFile?: string }) => Record<string, string>;
  perDatabaseSecretsFile: (databaseUrl: string, env: Record<string, string | undefined>) => string;
};

describe('restartDelayMs', () => {
  it.each([
    [1, 1000],
    [2, 2000],
    [3, 4000],
    [5, 16000],
    [6, 30000],
    [20, 30000],
  ])('restart %i waits %i ms', (attempt, delay) => {
    expect(restartDelayMs(attempt)).toBe(delay);
  });
});

describe('Supervisor', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tb-supervisor-'));
  const steady = join(dir, 'steady.js');
  const crashing = join(dir, 'crashing.js');
  writeFileSync(steady, "console.log('steady up'); console.error('to stderr'); setInterval(() => {}, 1000); process.on('SIGTERM', () => { console.log('bye'); process.exit(0); });");
  writeFileSync(crashing, "console.log('crashing up'); setTimeout(() => process.exit(3), 100);");

  it('prefixes every line, restarts a crashing service with growing delays, and stops all', async () => {
    const lines: string[] = [];
    const supervisor = new Supervisor(
      [
        { name: 'steady', command: process.execPath, args: [steady], env: { PATH: process.env.PATH ?? '' } },
        { name: 'crashing-one', command: process.execPath, args: [crashing], env: { PATH: process.env.PATH ?? '' } },
      ],
      { write: (line: string) => lines.push(line), colour: false, initialBackoffMs: 50, maxBackoffMs: 400, stableAfterMs: 60000 },
    );
    supervisor.start();
    try {
      await eventually(async () => lines.includes('steady       | steady up') && lines.includes('steady       | to stderr'), 20000);
      await eventually(async () => supervisor.restartsOf('crashing-one') >= 3, 30000);
      expect(lines).toContain('crashing-one | [supervisor] exited (code 3); restart 1 in 0.1 s');
      expect(lines).toContain('crashing-one | [supervisor] exited (code 3); restart 2 in 0.1 s');
      expect(lines.filter((line) => line === 'crashing-one | crashing up').length).toBeGreaterThanOrEqual(3);
      expect(supervisor.restartsOf('steady')).toBe(0);
      const pid = supervisor.pidOf('steady');
      expect(pid).toBeGreaterThan(0);
    } finally {
      await supervisor.stop();
    }
    await eventually(async () => lines.includes('steady       | bye'), 10000);
    expect(supervisor.pidOf('steady')).toBeUndefined();
    const countAfterStop = lines.length;
    await new Promise((r) => setTimeout(r, 600));
    // Nothing is restarted once stop() was called.
    expect(lines.slice(countAfterStop).filter((line) => line.includes('crashing up'))).toEqual([]);
  });

  it('does not restart a service that exits with 78 (cannot run as configured), and hands its last lines on', async () => {
    const misconfigured = join(dir, 'misconfigured.js');
    writeFileSync(misconfigured, "console.log('starting'); console.error('signing key k1 does not decrypt'); process.exit(78);");
    const lines: string[] = [];
    const gaveUp: Array<{ name: string; lastLines: string[] }> = [];
    const supervisor = new Supervisor([{ name: 'misconfigured', command: process.execPath, args: [misconfigured], env: {} }], {
      write: (line: string) => lines.push(line),
      colour: false,
      initialBackoffMs: 50,
      onGiveUp: (name: string, lastLines: string[]) => gaveUp.push({ name, lastLines }),
    });
    supervisor.start();
    await eventually(async () => gaveUp.length === 1, 20000);
    await new Promise((r) => setTimeout(r, 300));
    await supervisor.stop();
    expect(gaveUp).toEqual([{ name: 'misconfigured', lastLines: ['starting', 'signing key k1 does not decrypt'] }]);
    expect(lines).toContain('misconfigured | [supervisor] exited (code 78: it cannot run as configured); not restarted');
    expect(lines.filter((line) => line === 'misconfigured | starting')).toHaveLength(1);
    expect(supervisor.restartsOf('misconfigured')).toBe(0);
  });

  it('kills a service that ignores SIGTERM after the grace period', async () => {
    const stubborn = join(dir, 'stubborn.js');
    writeFileSync(stubborn, "process.on('SIGTERM', () => console.log('ignoring')); console.log('up'); setInterval(() => {}, 1000);");
    const lines: string[] = [];
    const supervisor = new Supervisor([{ name: 'stubborn', command: process.execPath, args: [stubborn], env: {} }], {
      write: (line: string) => lines.push(line),
      colour: false,
      stopGraceMs: 300,
    });
    supervisor.start();
    await eventually(async () => lines.includes('stubborn | up'), 20000);
    await supervisor.stop();
    expect(lines).toContain('stubborn | [supervisor] did not stop within 0.3 s: SIGKILL');
  });
});

describe('local secrets', () => {
  it('generates the admin key and key-encryption key once, mode 0600, and keeps them', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'tb-secrets-')), '.data', 'local-secrets.json');
    const first = loadOrCreateLocalSecrets(file, {});
    expect(first.ADMIN_API_KEY).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(first.KEY_ENCRYPTION_KEY!, 'base64')).toHaveLength(32);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(loadOrCreateLocalSecrets(file, {})).toEqual(first);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject(first);
  });

  it('takes values from the environment without writing them to the file', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'tb-secrets-')), 'local-secrets.json');
    const secrets = loadOrCreateLocalSecrets(file, { ADMIN_API_KEY: 'from-env' });
    expect(secrets.ADMIN_API_KEY).toBe('from-env');
    expect(readFileSync(file, 'utf8')).not.toContain('from-env');
  });

  it('per database: a second checkout takes the keys of the database file; the first writes it once and never overwrites it', () => {
    const base = mkdtempSync(join(tmpdir(), 'tb-secrets-'));
    const env = { TB_SECRETS_DIR: join(base, 'databases') };
    const databaseFile = perDatabaseSecretsFile('postgres://someone:pw@127.0.0.1:5432/trust_broker', env);
    expect(databaseFile).toBe(join(base, 'databases', '127.0.0.1-5432-trust_broker.json'));
    expect(perDatabaseSecretsFile('postgres://postgres@localhost/x', { HOME: '/home/u', XDG_DATA_HOME: '/data' })).toBe('/data/trust-broker/databases/localhost-5432-x.json');
    const names = ['ADMIN_API_KEY', 'KEY_ENCRYPTION_KEY'];
    const first = loadOrCreateLocalSecrets(join(base, 'one', 'local-secrets.json'), env, { names, databaseFile });
    expect(statSync(databaseFile).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(databaseFile, 'utf8'))).toEqual(first);
    const second = loadOrCreateLocalSecrets(join(base, 'two', 'local-secrets.json'), env, { names, databaseFile });
    expect(second).toEqual(first);
    // A checkout's own earlier keys win over the database file, which keeps the first one's.
    const own = join(base, 'three', 'local-secrets.json');
    loadOrCreateLocalSecrets(own, {}, { names });
    const third = loadOrCreateLocalSecrets(own, env, { names, databaseFile });
    expect(third.KEY_ENCRYPTION_KEY).not.toBe(first.KEY_ENCRYPTION_KEY);
    expect(JSON.parse(readFileSync(databaseFile, 'utf8'))).toEqual(first);
  });

  it('refuses a corrupt file with a message instead of silently replacing the keys', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'tb-secrets-')), 'local-secrets.json');
    writeFileSync(file, '{oops');
    expect(() => loadOrCreateLocalSecrets(file, {})).toThrow('is not valid JSON');
  });
});
