import { generateKeyPairSync } from 'node:crypto';
import { ConfigError } from '@trust-broker/service-kit/config';
import { loadAuditWorkerConfig } from './audit-worker.config';

const KEK = Buffer.alloc(32, 7).toString('base64');

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadAuditWorkerConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((problem) => problem.split(':')[0]!);
    throw error;
  }
  return [];
}

describe('audit-worker config', () => {
  it('applies the local defaults and generates the admin key and KEK for a local run', () => {
    const config = loadAuditWorkerConfig({});
    expect(config).toMatchObject({
      port: 8082,
      redisPrefix: 'tb',
      batchSize: 250,
      batchWaitMs: 25,
      checkpointEvery: 1000,
      checkpointIntervalMs: 60_000,
      retentionDays: undefined,
      signingKey: undefined,
    });
    expect(config.generated.adminApiKey).toEqual(config.adminApiKey);
    expect(config.adminApiKey.length).toBeGreaterThanOrEqual(40);
    expect(config.generated.keyEncryptionKey).toBe(true);
    expect(config.keyEncryptionKey).toHaveLength(32);
  });

  it('reads every setting', () => {
    const pem = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const config = loadAuditWorkerConfig({
      AUDIT_WORKER_PORT: '0',
      ADMIN_API_KEY: 'a-long-enough-admin-key',
      KEY_ENCRYPTION_KEY: KEK,
      AUDIT_SIGNING_KEY: pem.replace(/\n/g, '\\n'),
      AUDIT_BATCH_SIZE: '100',
      AUDIT_CHECKPOINT_EVERY: '10',
      AUDIT_CHECKPOINT_INTERVAL_S: '5',
      AUDIT_RETENTION_DAYS: '90',
    });
    expect(config).toMatchObject({ port: 0, adminApiKey: 'a-long-enough-admin-key', batchSize: 100, checkpointEvery: 10, checkpointIntervalMs: 5000, retentionDays: 90 });
    expect(config.signingKey?.asymmetricKeyType).toBe('ed25519');
    expect(config.generated).toEqual({});
  });

  it.each([
    [{ NODE_ENV: 'production' }, ['ADMIN_API_KEY', 'KEY_ENCRYPTION_KEY']],
    [{ NODE_ENV: 'production', AUDIT_BATCH_SIZE: '0', KEY_ENCRYPTION_KEY: KEK }, ['ADMIN_API_KEY', 'AUDIT_BATCH_SIZE']],
    [{ ADMIN_API_KEY: 'short' }, ['ADMIN_API_KEY']],
    [{ KEY_ENCRYPTION_KEY: 'dG9vLXNob3J0' }, ['KEY_ENCRYPTION_KEY']],
    [{ AUDIT_SIGNING_KEY: 'not a key' }, ['AUDIT_SIGNING_KEY']],
    [{ AUDIT_SIGNING_KEY: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() }, ['AUDIT_SIGNING_KEY']],
    [{ AUDIT_BATCH_SIZE: '0', AUDIT_CHECKPOINT_EVERY: 'many', AUDIT_RETENTION_DAYS: '-1' }, ['AUDIT_BATCH_SIZE', 'AUDIT_CHECKPOINT_EVERY', 'AUDIT_RETENTION_DAYS']],
    [{ AUDIT_WORKER_PORT: '70000', DATABASE_URL: 'mysql://x' }, ['AUDIT_WORKER_PORT', 'DATABASE_URL']],
  ])('names every bad variable: %j', (env, variables) => {
    expect(problemsOf(env as Record<string, string>).sort()).toEqual([...variables].sort());
  });
});
