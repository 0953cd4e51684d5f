/**
 * The token endpoint's rate-limit counters against the real Redis: two limiters on two
 * connections (two replicas) share one window per subject; the script runs by SHA.
 * Keys are looked up under this run's own prefix (a full SCAN), never a slice of the
 * shared Redis that other runs fill.
 */
import Redis from 'ioredis';
import { createTestRedisPrefix, TEST_REDIS_URL, type TestRedisPrefix } from '@trust-broker/testing';
import { loadTokenServiceConfig, type TokenServiceConfig } from '../src/config/token-service.config';
import { TokenRateLimiter } from '../src/rate-limit/token-rate-limiter';

let prefix: TestRedisPrefix;
let config: TokenServiceConfig;
const connections: Redis[] = [];

function limiter(): TokenRateLimiter {
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1, enableAutoPipelining: true });
  connections.push(redis);
  return new TokenRateLimiter(config, redis);
}

beforeAll(() => {
  prefix = createTestRedisPrefix('ratelimit');
  config = loadTokenServiceConfig({
    REDIS_PREFIX: prefix.prefix,
    RATE_LIMIT_WINDOW_S: '30',
    RATE_LIMIT_PER_CLIENT: '3',
    RATE_LIMIT_PER_ADDRESS: '5',
  });
});

afterAll(async () => {
  for (const redis of connections) redis.disconnect();
  await prefix.clear();
});

it('counts each subject across replicas and names the first limit exceeded, with the time left', async () => {
  const [a, b] = [limiter(), limiter()];
  const subjects = [
    { scope: 'address' as const, id: '10.0.0.1' },
    { scope: 'client' as const, id: 'client-x' },
  ];
  const verdicts = [];
  for (let i = 0; i < 4; i += 1) verdicts.push(await (i % 2 === 0 ? a : b).consume(subjects));
  expect(verdicts.slice(0, 3).map((v) => v.exceeded)).toEqual([undefined, undefined, undefined]);
  expect(verdicts[3]!.exceeded).toBe('client');
  expect(verdicts[3]!.retryAfterS).toBeGreaterThanOrEqual(1);
  expect(verdicts[3]!.retryAfterS).toBeLessThanOrEqual(30);
  // Another client from the same address: its own client window, the address window shared (5th request).
  expect((await a.consume([subjects[0]!, { scope: 'client', id: 'client-y' }])).exceeded).toBeUndefined();
  expect((await b.consume([subjects[0]!, { scope: 'client', id: 'client-y' }])).exceeded).toBe('address');
});

it('never makes a long key from a claimed client id or an odd address', async () => {
  await limiter().consume([
    { scope: 'address', id: `a${'x'.repeat(500)}` },
    { scope: 'client', id: 'c'.repeat(10_000) },
  ]);
  const keys = await prefix.keys(':rate-limit:*');
  expect(keys.length).toBeGreaterThan(0);
  for (const key of keys) expect(key.length).toBeLessThan(prefix.prefix.length + 64);
});

it('counts nothing for a scope whose limit is 0', async () => {
  const off = loadTokenServiceConfig({ REDIS_PREFIX: `${prefix.prefix}-off`, RATE_LIMIT_PER_CLIENT: '0', RATE_LIMIT_PER_ADDRESS: '0' });
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  connections.push(redis);
  const verdict = await new TokenRateLimiter(off, redis).consume([{ scope: 'address', id: '10.0.0.2' }]);
  expect(verdict).toEqual({ retryAfterS: 0 });
  expect(await prefix.keys('-off:*')).toEqual([]);
});
