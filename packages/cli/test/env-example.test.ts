/**
 * .env.example is what docker-compose hands every service: each app must accept it as
 * its whole configuration. Each app's `migrate` step (which reads and validates the
 * full config first) runs with it, pointed at a fresh database and Redis prefix. The
 * same for the Kubernetes ConfigMap (NODE_ENV=production) with real secret values.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { createTestDatabase, createTestRedisPrefix, randomKeyEncryptionKey, type TestDatabase, type TestRedisPrefix } from '@trust-broker/testing';

jest.setTimeout(120_000);

const ROOT = resolve(__dirname, '..', '..', '..');

function readEnvExample(): Record<string, string> {
  return Object.fromEntries(
    readFileSync(join(ROOT, '.env.example'), 'utf8')
      .split('\n')
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

describe('.env.example as each service configuration', () => {
  let database: TestDatabase;
  let redis: TestRedisPrefix;

  beforeAll(async () => {
    database = await createTestDatabase('envexample');
    redis = createTestRedisPrefix('envexample');
  });

  afterAll(async () => {
    await database?.drop();
    await redis?.clear();
  });

  function migrate(app: string, settings: Record<string, string>) {
    const env = { PATH: process.env.PATH ?? '', ...settings, DATABASE_URL: database.url, REDIS_URL: redis.url, REDIS_PREFIX: redis.prefix, NO_COLOR: '1' };
    return spawnSync(process.execPath, [join(ROOT, 'apps', app, 'dist', 'main.js'), 'migrate'], { env, encoding: 'utf8', timeout: 90_000 });
  }

  // In the order docker-compose runs them: the registry owns the tables token-service reads.
  it.each(['issuer-registry', 'token-service', 'audit-worker'])('%s accepts it and migrates', (app) => {
    const result = migrate(app, readEnvExample());
    expect({ app, status: result.status, stderr: result.status === 0 ? '' : result.stderr }).toEqual({ app, status: 0, stderr: '' });
    expect(result.stdout).toContain('migrations');
  });

  it.each(['issuer-registry', 'token-service', 'audit-worker'])('%s accepts the k8s ConfigMap with the Secret keys filled in', (app) => {
    const configMap = parse(readFileSync(join(ROOT, 'infra', 'k8s', 'base', 'configmap.yaml'), 'utf8')) as { data: Record<string, string> };
    const secrets = { ADMIN_API_KEY: 'k8s-test-admin-key-0123456789abcdefghij', KEY_ENCRYPTION_KEY: randomKeyEncryptionKey() };
    const result = migrate(app, { ...configMap.data, ...secrets });
    expect({ app, status: result.status, stderr: result.status === 0 ? '' : result.stderr }).toEqual({ app, status: 0, stderr: '' });
  });
});
