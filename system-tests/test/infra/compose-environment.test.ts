/**
 * What docker-compose hands every service must be accepted by each app as its whole
 * configuration: the compose file's environment, with the values `npm run compose:init`
 * writes, interpolated as compose does, runs each app's `migrate` step (which reads and
 * validates the full config first) against a fresh database and Redis prefix. The same for
 * the Kubernetes ConfigMap (NODE_ENV=production) with the Secret's keys filled in.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { createTestDatabase, createTestRedisPrefix, randomKeyEncryptionKey, type TestDatabase, type TestRedisPrefix } from '@trust-broker/testing';
import { composeInit, readEnvFile } from '../support/env-file';

jest.setTimeout(120_000);

const ROOT = resolve(__dirname, '..', '..', '..');
const APPS = ['issuer-registry', 'token-service', 'audit-worker'];

/** Compose's ${VAR}, ${VAR:-default} and ${VAR:?error}, enough for docker-compose.yml. */
function interpolate(value: string, settings: Record<string, string>): string {
  return value.replace(/\$\{([A-Z_]+)(?::([-?])([^}]*))?\}/g, (_, name: string, kind: string | undefined, rest: string) => {
    const set = settings[name];
    if (set !== undefined && set !== '') return set;
    if (kind === '?') throw new Error(rest);
    return kind === '-' ? rest : '';
  });
}

function composeEnvironment(app: string, settings: Record<string, string>): Record<string, string> {
  const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, { environment: Record<string, string> }> };
  return Object.fromEntries(Object.entries(compose.services[app]!.environment).map(([name, value]) => [name, interpolate(String(value), settings)]));
}

describe('the environment docker-compose gives each service', () => {
  let database: TestDatabase;
  let redis: TestRedisPrefix;
  let settings: Record<string, string>;

  beforeAll(async () => {
    database = await createTestDatabase('composeenv');
    redis = createTestRedisPrefix('composeenv');
    const envFile = join(mkdtempSync(join(tmpdir(), 'tb-compose-env-')), '.env');
    expect(composeInit(envFile).status).toBe(0);
    settings = readEnvFile(envFile);
  });

  afterAll(async () => {
    await database?.drop();
    await redis?.clear();
  });

  function migrate(app: string, environment: Record<string, string>) {
    const env = { PATH: process.env.PATH ?? '', ...environment, DATABASE_URL: database.url, REDIS_URL: redis.url, REDIS_PREFIX: redis.prefix, NO_COLOR: '1' };
    return spawnSync(process.execPath, [join(ROOT, 'apps', app, 'dist', 'main.js'), 'migrate'], { env, encoding: 'utf8', timeout: 90_000 });
  }

  it('is refused without the secrets compose:init writes', () => {
    expect(() => composeEnvironment('token-service', { ...settings, ADMIN_API_KEY: '' })).toThrow('ADMIN_API_KEY is not set; run npm run compose:init');
  });

  it('points DATABASE_URL at the compose Postgres with its password', () => {
    const url = new URL(composeEnvironment('token-service', settings).DATABASE_URL!);
    expect({ host: url.host, user: url.username, password: url.password, db: url.pathname }).toEqual({ host: 'postgres:5432', user: 'trust_broker', password: settings.POSTGRES_PASSWORD, db: '/trust_broker' });
    expect(composeEnvironment('token-service', { ...settings, POSTGRES_USER: 'ops', POSTGRES_DB: 'broker' }).DATABASE_URL).toBe(`postgres://ops:${settings.POSTGRES_PASSWORD}@postgres:5432/broker`);
  });

  // In the order docker-compose runs them: the registry owns the tables token-service reads.
  it.each(APPS)('%s accepts it and migrates', (app) => {
    const result = migrate(app, composeEnvironment(app, settings));
    expect({ app, status: result.status, stderr: result.status === 0 ? '' : result.stderr }).toEqual({ app, status: 0, stderr: '' });
    expect(result.stdout).toContain('migrations');
  });

  it.each(APPS)('%s accepts the k8s ConfigMap with the Secret keys filled in', (app) => {
    const configMap = parse(readFileSync(join(ROOT, 'infra', 'k8s', 'base', 'configmap.yaml'), 'utf8')) as { data: Record<string, string> };
    const secrets = { ADMIN_API_KEY: 'k8s-test-admin-key-0123456789abcdefghij', KEY_ENCRYPTION_KEY: randomKeyEncryptionKey() };
    const result = migrate(app, { ...configMap.data, ...secrets });
    expect({ app, status: result.status, stderr: result.status === 0 ? '' : result.stderr }).toEqual({ app, status: 0, stderr: '' });
  });
});
