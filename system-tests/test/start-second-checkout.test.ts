/**
 * A second checkout on the same machine (issue 19): two fresh checkouts started one after the
 * other with `npm start` against the same local Postgres and database. The second uses the
 * database's own secrets file (outside the checkout), so it reads the keys the first one
 * stored: same signing key, same admin key. A checkout whose key does not fit the database
 * (here: another user's home, so no such file) is not restarted in a loop: npm start stops
 * with one line that says what to run.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  createTestDatabase,
  createTestRedisPrefix,
  eventually,
  npmStartEnv,
  startNodeProcess,
  untilReady,
  type RunningProcess,
  type SystemPorts,
  type TestDatabase,
  type TestRedisPrefix,
} from '@trust-broker/testing';

const REPO = resolve(__dirname, '..', '..');
// Three npm starts one after the other (about 145 s in all on the loaded 2-core machine).
const TEST_TIMEOUT_MS = 540_000;

let database: TestDatabase;
let redis: TestRedisPrefix;
const made: string[] = [];

beforeAll(async () => {
  database = await createTestDatabase('second_checkout');
  redis = createTestRedisPrefix('secondcheckout');
});

afterAll(async () => {
  await redis?.clear();
  await database?.drop();
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A fresh checkout as far as npm start can tell: its own scripts/ and no .data; the built apps and node_modules shared. */
function freshCheckout(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tb-checkout-'));
  made.push(dir);
  cpSync(join(REPO, 'scripts'), join(dir, 'scripts'), { recursive: true });
  for (const shared of ['apps', 'packages', 'node_modules']) symlinkSync(join(REPO, shared), join(dir, shared));
  return dir;
}

function home(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tb-home-'));
  made.push(dir);
  mkdirSync(join(dir, '.local'));
  return dir;
}

async function npmStart(checkout: string, homeDir: string): Promise<{ broker: RunningProcess; ports: SystemPorts }> {
  const { ports, env } = await npmStartEnv(database, redis);
  const broker = startNodeProcess(join(checkout, 'scripts', 'start.mjs'), {
    HOME: homeDir,
    XDG_DATA_HOME: '',
    TB_SECRETS_DIR: '',
    TB_DATA_DIR: '',
    ADMIN_API_KEY: '',
    KEY_ENCRYPTION_KEY: '',
    ...env,
    LOG_LEVEL: 'warn',
  }, ['--no-build']);
  return { broker, ports };
}

const adminKeyOf = (checkout: string) => (JSON.parse(readFileSync(join(checkout, '.data', 'local-secrets.json'), 'utf8')) as { ADMIN_API_KEY: string }).ADMIN_API_KEY;

async function kidsOf(tokenPort: number): Promise<string[]> {
  const { keys } = (await (await fetch(`http://127.0.0.1:${tokenPort}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
  return keys.map((key) => key.kid).sort();
}

it('the second checkout starts on the first one’s database with its keys; one whose key does not fit stops with one line, no restart loop', async () => {
  const sharedHome = home();

  // The first checkout: creates the database's keys, registers an issuer, stops.
  const first = freshCheckout();
  const a = await npmStart(first, sharedHome);
  let kids: string[];
  try {
    await untilReady(a.broker);
    kids = await kidsOf(a.ports.token);
    const created = await fetch(`http://127.0.0.1:${a.ports.registry}/v1/issuers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKeyOf(first)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ issuer: 'https://idp.first-checkout.example', jwks: { keys: [] }, subjects: ['*'] }),
    });
    expect(created.status).toBe(201);
  } finally {
    await a.broker.stop(20_000);
  }

  // The second: ready, the same signing keys (they decrypt), the same admin key.
  const second = freshCheckout();
  const b = await npmStart(second, sharedHome);
  try {
    await untilReady(b.broker);
    expect(await kidsOf(b.ports.token)).toEqual(kids);
    expect(adminKeyOf(second)).toBe(adminKeyOf(first));
    const listed = await fetch(`http://127.0.0.1:${b.ports.registry}/v1/issuers`, { headers: { authorization: `Bearer ${adminKeyOf(second)}` } });
    expect(JSON.stringify(await listed.json())).toContain('https://idp.first-checkout.example');
    expect(b.broker.output()).not.toMatch(/\[supervisor\] exited/);
  } finally {
    await b.broker.stop(20_000);
  }

  // A third, under another home: no secrets file for this database, so a new key that does not fit.
  const third = freshCheckout();
  const c = await npmStart(third, home());
  await eventually(async () => c.broker.child.exitCode !== null, 200_000, 250).catch((error: Error) => {
    throw new Error(`${error.message}\n--- output ---\n${c.broker.output().slice(-4000)}`);
  });
  expect(c.broker.child.exitCode).toBe(1);
  const output = c.broker.output();
  expect(output).toMatch(/token-service +\| \[supervisor\] exited \(code 78: it cannot run as configured\); not restarted/);
  expect(output).not.toMatch(/token-service +\| \[supervisor\] exited \(code \d+\); restart/);
  const advice = output.split('\n').filter((line) => line.startsWith('start | error:'));
  expect(advice).toHaveLength(1);
  expect(advice[0]).toContain(`the database ${database.name} at 127.0.0.1:5432 holds keys made with another KEY_ENCRYPTION_KEY`);
  expect(advice[0]).toContain(`DATABASE_URL=postgres://postgres@127.0.0.1:5432/${database.name}_2 npm start`);
  // Nothing of it is left running.
  expect(spawnSync('pgrep', ['-f', third]).status).toBe(1);
}, TEST_TIMEOUT_MS);
