/**
 * Fail closed without Redis (CONTRACT.md, ARCHITECTURE.md): the token service points at
 * a redis-server of this test's own (with AOF, as production runs it); once it stops, the
 * token endpoint answers 503 `temporarily_unavailable` (no token without the replay check
 * and the audit event), and it recovers on its own when Redis is back. When Redis comes
 * back without its marks (FLUSHALL), an unexpired assertion used before is not accepted again.
 */
import Redis from 'ioredis';
import { assertionClaims, eventually, generatePartyKey, jwksOf, JWT_BEARER_GRANT, nowSeconds, type OwnRedisServer, postForm, signAssertion, type PartyKey } from '@trust-broker/testing';
import { useBroker } from './support/use-broker';

const ISS = 'https://idp-redis-outage.example';
const broker = useBroker('redisdown', { deferTokenService: true });
let redis: OwnRedisServer;
let key: PartyKey;

beforeAll(async () => {
  key = await generatePartyKey('ES256');
  await broker.admin.createIssuer({ issuer: ISS, jwks: jwksOf(key), subjects: ['*'], clock_skew_s: 2 });
  redis = await broker.startOwnRedis({ persistent: true });
  // The issuer is in Postgres already: the first full load finds it, no message needed.
  await broker.startTokenService({ REDIS_URL: redis.url });
});

const newAssertion = (claims: Record<string, unknown> = {}) => signAssertion(key, assertionClaims({ iss: ISS, sub: 'alice', aud: broker.issuer }, claims));
const present = (assertion: string) => postForm(broker.tokenEndpoint, { grant_type: JWT_BEARER_GRANT, assertion });
const exchange = async () => present(await newAssertion());

it('issues while Redis answers, 503 temporarily_unavailable while it is down, and recovers', async () => {
  expect((await exchange()).status).toBe(200);

  await redis.stop();
  const refused = await eventually(async () => {
    const answer = await exchange();
    return answer.status === 503 ? answer : undefined;
  }, 15_000, 100);
  expect(refused.body.error).toBe('temporarily_unavailable');
  expect(refused.body.access_token).toBeUndefined();
  // Every request while Redis is down is refused, none is issued.
  for (let i = 0; i < 5; i++) expect((await exchange()).status).toBe(503);

  await redis.resume();
  await eventually(async () => (await exchange()).status === 200, 20_000, 200);
});

it('FLUSHALL mid-run: an unexpired assertion used before is refused, not replayed; new assertions are accepted', async () => {
  const used = await newAssertion({ iat: nowSeconds() - 5 });
  expect((await present(used)).status).toBe(200);
  expect((await present(used)).body.error).toBe('invalid_grant');

  const admin = new Redis(redis.url);
  try {
    await admin.flushall();
  } finally {
    admin.disconnect();
  }
  const replayed = await present(used);
  expect(replayed.status).toBe(400);
  expect(replayed.body).toEqual({ error: 'invalid_grant', error_description: expect.stringMatching(/lost/) });
  expect(replayed.body.access_token).toBeUndefined();
  // An assertion that could not have been used before the loss (issued after it, minus the skew) is accepted once.
  const fresh = await eventually(async () => {
    const assertion = await newAssertion();
    return (await present(assertion)).status === 200 ? assertion : undefined;
  }, 20_000, 500);
  expect((await present(fresh)).body.error).toBe('invalid_grant');
});
