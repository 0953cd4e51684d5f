import { ConfigError } from '@trust-broker/service-kit/config';
import { loadRegistryConfig } from './registry.config';

const KEK = Buffer.alloc(32, 7).toString('base64');

describe('loadRegistryConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadRegistryConfig({ ADMIN_API_KEY: 'x'.repeat(32), KEY_ENCRYPTION_KEY: KEK });
    expect(config).toMatchObject({
      port: 8081,
      redisPrefix: 'tb',
      outbound: { allowPrivateNetworks: false, timeoutMs: 5000, maxBodyBytes: 262_144, maxKeys: 100, maxRedirects: 3 },
      keyRefresh: { minRefreshSeconds: 60, maxRefreshSeconds: 86_400, unknownKidIntervalSeconds: 10 },
      startupNotices: [],
    });
    expect(config.console.auditApiUrl).toBe('http://127.0.0.1:8082');
    expect(config.console.relay).toEqual({ connectTimeoutMs: 5000, idleTimeoutMs: 30_000 });
    expect(config.console.dir).toMatch(/admin-console[/\\]dist$/);
  });

  it('relays audit reads to AUDIT_API_URL, else to the local audit-worker port', () => {
    const base = { ADMIN_API_KEY: 'x'.repeat(32), KEY_ENCRYPTION_KEY: KEK };
    expect(loadRegistryConfig({ ...base, AUDIT_WORKER_PORT: '9182' }).console.auditApiUrl).toBe('http://127.0.0.1:9182');
    expect(loadRegistryConfig({ ...base, AUDIT_API_URL: 'http://audit-worker:8082/' }).console.auditApiUrl).toBe('http://audit-worker:8082');
    expect(loadRegistryConfig({ ...base, ADMIN_CONSOLE_DIR: '/srv/console' }).console.dir).toBe('/srv/console');
  });

  it('generates missing credentials outside production, and says so', () => {
    const config = loadRegistryConfig({ ADMIN_API_KEY: '', KEY_ENCRYPTION_KEY: '' });
    expect(config.adminApiKey).toHaveLength(43);
    expect(config.keyEncryptionKey).toHaveLength(32);
    expect(config.startupNotices.join('\n')).toMatch(/ADMIN_API_KEY not set[\s\S]*KEY_ENCRYPTION_KEY not set/);
  });

  it.each([
    [{ NODE_ENV: 'production' }, ['ADMIN_API_KEY', 'KEY_ENCRYPTION_KEY']],
    [{ NODE_ENV: 'production', ISSUER_REGISTRY_PORT: '70000' }, ['ADMIN_API_KEY', 'ISSUER_REGISTRY_PORT', 'KEY_ENCRYPTION_KEY']],
    [{ ISSUER_REGISTRY_PORT: '70000' }, ['ISSUER_REGISTRY_PORT']],
    [{ KEY_ENCRYPTION_KEY: 'dG9vIHNob3J0' }, ['KEY_ENCRYPTION_KEY']],
    [{ ADMIN_API_KEY: 'short' }, ['ADMIN_API_KEY']],
    [{ JWKS_FETCH_TIMEOUT_MS: '0' }, ['JWKS_FETCH_TIMEOUT_MS']],
    [{ AUDIT_RELAY_CONNECT_TIMEOUT_MS: '0', AUDIT_RELAY_IDLE_TIMEOUT_MS: 'soon' }, ['AUDIT_RELAY_CONNECT_TIMEOUT_MS', 'AUDIT_RELAY_IDLE_TIMEOUT_MS']],
    [{ KEYS_MIN_REFRESH_S: '600', KEYS_MAX_REFRESH_S: '60' }, ['KEYS_MIN_REFRESH_S']],
    [{ REDIS_PREFIX: 'a b' }, ['REDIS_PREFIX']],
    [{ AUDIT_API_URL: 'ftp://audit' }, ['AUDIT_API_URL']],
  ])('rejects %j naming %j', (env, names) => {
    let error: unknown;
    try {
      loadRegistryConfig(env as Record<string, string>);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    for (const name of names) expect((error as ConfigError).problems.some((p) => p.startsWith(`${name}:`))).toBe(true);
  });
});
