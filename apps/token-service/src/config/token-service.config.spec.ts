import { randomBytes } from 'node:crypto';
import { ConfigError } from '@trust-broker/service-kit/config';
import { loadTokenServiceConfig, loadTokenServiceConfigFromProcess } from './token-service.config';

const kek = randomBytes(32).toString('base64');

describe('loadTokenServiceConfig', () => {
  it('applies the defaults of CONTRACT.md', () => {
    const config = loadTokenServiceConfig({ KEY_ENCRYPTION_KEY: kek });
    expect(config).toMatchObject({
      port: 8080,
      brokerIssuer: 'http://localhost:8080',
      tokenEndpoint: 'http://localhost:8080/oauth2/token',
      clientAssertionAudienceCompat: false,
      trustReloadIntervalMs: 30_000,
      keyRefreshWaitMs: 2000,
      workers: 1,
      warnings: [],
    });
    expect(config.keyEncryptionKey.equals(Buffer.from(kek, 'base64'))).toBe(true);
  });

  it('reads TOKEN_SERVICE_WORKERS', () => {
    expect(loadTokenServiceConfig({ KEY_ENCRYPTION_KEY: kek, TOKEN_SERVICE_WORKERS: '4' }).workers).toBe(4);
  });

  it('reads the process environment itself (main.ts hands it nothing)', () => {
    const saved = { ...process.env };
    try {
      process.env.KEY_ENCRYPTION_KEY = kek;
      process.env.TOKEN_SERVICE_WORKERS = '3';
      process.env.TOKEN_SERVICE_PORT = '8181';
      const config = loadTokenServiceConfigFromProcess();
      expect(config).toMatchObject({ workers: 3, port: 8181 });
      expect(config.keyEncryptionKey.equals(Buffer.from(kek, 'base64'))).toBe(true);
      process.env.TOKEN_SERVICE_WORKERS = 'none';
      expect(() => loadTokenServiceConfigFromProcess()).toThrow(ConfigError);
    } finally {
      process.env = saved;
    }
  });

  it('generates a development key with a warning', () => {
    const config = loadTokenServiceConfig({});
    expect(config.keyEncryptionKey).toHaveLength(32);
    expect(config.warnings.join()).toContain('KEY_ENCRYPTION_KEY');
  });

  it('names every problem at once, the production key requirement included', () => {
    let error: unknown;
    try {
      loadTokenServiceConfig({ NODE_ENV: 'production', TOKEN_SERVICE_PORT: 'abc' });
    } catch (e) {
      error = e;
    }
    expect((error as ConfigError).problems.map((p) => p.split(':')[0]).sort()).toEqual(['KEY_ENCRYPTION_KEY', 'TOKEN_SERVICE_PORT']);
  });

  it.each([
    ['KEY_ENCRYPTION_KEY missing in production', { NODE_ENV: 'production' }, 'KEY_ENCRYPTION_KEY'],
    ['KEY_ENCRYPTION_KEY of 16 bytes', { KEY_ENCRYPTION_KEY: randomBytes(16).toString('base64') }, 'KEY_ENCRYPTION_KEY'],
    ['a port out of range', { TOKEN_SERVICE_PORT: '70000' }, 'TOKEN_SERVICE_PORT'],
    ['a non-boolean compatibility flag', { CLIENT_ASSERTION_AUDIENCE_COMPAT: 'maybe' }, 'CLIENT_ASSERTION_AUDIENCE_COMPAT'],
    ['a zero reload interval', { TRUST_RELOAD_INTERVAL_S: '0' }, 'TRUST_RELOAD_INTERVAL_S'],
    ['zero workers', { TOKEN_SERVICE_WORKERS: '0' }, 'TOKEN_SERVICE_WORKERS'],
    ['a fractional worker count', { TOKEN_SERVICE_WORKERS: '1.5' }, 'TOKEN_SERVICE_WORKERS'],
    ['a worker count that is not a number', { TOKEN_SERVICE_WORKERS: 'all' }, 'TOKEN_SERVICE_WORKERS'],
  ])('stops on %s, naming the variable', (_label, env, variable) => {
    let error: unknown;
    try {
      loadTokenServiceConfig(env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((p) => p.split(':')[0])).toContain(variable);
  });
});
