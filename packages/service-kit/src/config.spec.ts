import { z } from 'zod';
import { booleanFromEnv, commonEnvShape, ConfigError, loadConfig, portFromEnv } from './config';

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
