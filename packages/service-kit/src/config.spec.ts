import { z } from 'zod';
import { booleanFromEnv, bootLogSettings, commonConfigOf, commonEnvShape, ConfigError, loadConfig, logSettingsOf, missingInProduction, portFromEnv } from './config';

const schema = z.object({ ...commonEnvShape, PORT: portFromEnv(8080), FLAG: booleanFromEnv(false) });

describe('loadConfig', () => {
  it('applies the local defaults', () => {
    const config = loadConfig(schema, {});
    expect(config.DATABASE_URL).toBe('postgres://postgres@127.0.0.1:5432/trust_broker');
    expect(config.REDIS_PREFIX).toBe('tb');
    expect(config.PORT).toBe(8080);
    expect(config.FLAG).toBe(false);
  });

  it('normalises the issuer identifier without a trailing slash', () => {
    expect(loadConfig(schema, { BROKER_ISSUER: 'https://broker.example/' }).BROKER_ISSUER).toBe('https://broker.example');
  });

  it('names every bad variable at once', () => {
    let error: ConfigError | undefined;
    try {
      loadConfig(schema, { DATABASE_URL: 'mysql://x', REDIS_URL: 'nope', PORT: '70000', FLAG: 'yes' });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const named = error!.problems.map((p) => p.split(':')[0]);
    expect(named).toEqual(expect.arrayContaining(['DATABASE_URL', 'REDIS_URL', 'PORT', 'FLAG']));
    expect(error!.message).toContain('FLAG: expected true or false, got "yes"');
  });

  it('lists the problems found beside the schema after its own, and refuses on them alone', () => {
    const problemsOf = (env: Record<string, string>, besides: string[]) => {
      try {
        loadConfig(schema, env, besides);
      } catch (error) {
        return (error as ConfigError).problems;
      }
      return [];
    };
    expect(problemsOf({ PORT: '70000' }, ['SECRET: required when NODE_ENV=production']).map((p) => p.split(':')[0])).toEqual(['PORT', 'SECRET']);
    expect(problemsOf({}, ['SECRET: required when NODE_ENV=production'])).toEqual(['SECRET: required when NODE_ENV=production']);
    expect(problemsOf({}, [])).toEqual([]);
  });

  it.each([
    ['production, both missing', { NODE_ENV: 'production' }, ['A: required when NODE_ENV=production', 'B: required when NODE_ENV=production']],
    ['production, one empty and one blank', { NODE_ENV: 'production', A: '', B: '  ' }, ['A: required when NODE_ENV=production', 'B: required when NODE_ENV=production']],
    ['production, both set', { NODE_ENV: 'production', A: 'a', B: 'b' }, []],
    ['development, both missing', { NODE_ENV: 'development' }, []],
    ['no NODE_ENV', {}, []],
  ])('missingInProduction: %s', (_label, env, problems) => {
    expect(missingInProduction(env, ['A', 'B'])).toEqual(problems);
  });

  it.each([
    ['true', true],
    ['1', true],
    ['FALSE', false],
    ['0', false],
    ['', false],
  ])('reads boolean %p as %p', (value, expected) => {
    expect(loadConfig(schema, { FLAG: value }).FLAG).toBe(expected);
  });
});

describe('LOG_FORMAT and LOG_LEVEL', () => {
  it('defaults to json in production and pretty elsewhere; an explicit value wins', () => {
    const of = (env: Record<string, string>) => logSettingsOf('svc', loadConfig(schema, env));
    expect(of({ NODE_ENV: 'production' })).toEqual({ service: 'svc', level: 'info', format: 'json' });
    expect(of({})).toEqual({ service: 'svc', level: 'info', format: 'pretty' });
    expect(of({ NODE_ENV: 'production', LOG_FORMAT: 'pretty', LOG_LEVEL: 'debug' })).toEqual({ service: 'svc', level: 'debug', format: 'pretty' });
    expect(of({ LOG_FORMAT: 'json' }).format).toBe('json');
  });

  it('refuses another format, naming the variable', () => {
    expect(() => loadConfig(schema, { LOG_FORMAT: 'xml' })).toThrow(/LOG_FORMAT/);
  });

  it('reports a bad configuration in the format asked for where it can, the default otherwise', () => {
    expect(bootLogSettings('svc', { NODE_ENV: 'production' })).toEqual({ service: 'svc', level: 'info', format: 'json' });
    expect(bootLogSettings('svc', { LOG_FORMAT: 'json', LOG_LEVEL: 'warn' })).toEqual({ service: 'svc', level: 'warn', format: 'json' });
    expect(bootLogSettings('svc', { LOG_FORMAT: 'xml', LOG_LEVEL: 'loud' })).toEqual({ service: 'svc', level: 'info', format: 'pretty' });
  });
});

describe('TRUST_PROXY', () => {
  it('is empty by default', () => {
    expect(loadConfig(schema, {}).TRUST_PROXY).toEqual([]);
    expect(loadConfig(schema, { TRUST_PROXY: '' }).TRUST_PROXY).toEqual([]);
  });

  it('takes addresses and CIDRs, IPv4 and IPv6, comma-separated', () => {
    expect(loadConfig(schema, { TRUST_PROXY: '10.0.0.7, 10.1.0.0/16,fd00::/8 ,::1' }).TRUST_PROXY).toEqual(['10.0.0.7', '10.1.0.0/16', 'fd00::/8', '::1']);
  });

  it.each(['loopback', 'example.com', '10.0.0.0/33', 'fd00::/129', '10.0.0.1/8/8', '10.0.0.0/', '10.0.0.0/x', '*'])('refuses %s, naming the variable', (value) => {
    expect(() => loadConfig(schema, { TRUST_PROXY: value })).toThrow(/TRUST_PROXY: .* is not an IP address or CIDR/);
  });
});

describe('REDIS_CLUSTER_NODES', () => {
  it('is unset by default: one Redis at REDIS_URL', () => {
    expect(loadConfig(schema, {}).REDIS_CLUSTER_NODES).toBeUndefined();
    expect(loadConfig(schema, { REDIS_CLUSTER_NODES: ' ' }).REDIS_CLUSTER_NODES).toBeUndefined();
  });

  it('reads comma-separated host:port seeds (IPv6 in brackets)', () => {
    expect(loadConfig(schema, { REDIS_CLUSTER_NODES: '10.0.0.1:7000, redis-1.internal:7001,[::1]:7002' }).REDIS_CLUSTER_NODES).toEqual({
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: 'redis-1.internal', port: 7001 },
        { host: '::1', port: 7002 },
      ],
      tls: false,
    });
  });

  it('takes AUTH and TLS from a rediss:// first seed', () => {
    const seeds = loadConfig(schema, { REDIS_CLUSTER_NODES: 'rediss://app:s%40cret@cfg.cache.example:6379' }).REDIS_CLUSTER_NODES;
    expect(seeds).toEqual({ nodes: [{ host: 'cfg.cache.example', port: 6379 }], tls: true, username: 'app', password: 's@cret' });
  });

  it.each(['10.0.0.1', 'host:0', 'host:99999', 'http://host:80', ':7000'])('refuses %p, naming the variable', (value) => {
    expect(() => loadConfig(schema, { REDIS_CLUSTER_NODES: value })).toThrow(/REDIS_CLUSTER_NODES: /);
  });
});

describe('commonConfigOf', () => {
  it('gives the settings every service shares, named as the apps read them', () => {
    const parsed = loadConfig(schema, {
      NODE_ENV: 'test',
      DATABASE_URL: 'postgres://db.example:5432/tb',
      REDIS_CLUSTER_NODES: 'r1:7000,r2:7001',
      REDIS_PREFIX: 'tb-x',
      BROKER_ISSUER: 'https://broker.example/',
      LOG_FORMAT: 'json',
      TRUST_PROXY: '10.0.0.0/8',
    });
    expect(commonConfigOf('svc', parsed)).toEqual({
      nodeEnv: 'test',
      databaseUrl: 'postgres://db.example:5432/tb',
      redisUrl: 'redis://127.0.0.1:6379',
      redisCluster: { nodes: [{ host: 'r1', port: 7000 }, { host: 'r2', port: 7001 }], tls: false },
      redisPrefix: 'tb-x',
      brokerIssuer: 'https://broker.example',
      log: { service: 'svc', level: 'info', format: 'json' },
      trustProxy: ['10.0.0.0/8'],
    });
  });
});
