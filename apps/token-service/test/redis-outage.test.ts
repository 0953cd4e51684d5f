/**
 * Fail closed without Redis (CONTRACT.md, ARCHITECTURE.md): the token service points at
 * a redis-server of this test's own; once it stops, the token endpoint answers 503
 * `temporarily_unavailable` (no token without the replay check and the audit event),
 * and it recovers on its own when Redis is back.
 */
import { assertionClaims, eventually, generatePartyKey, jwksOf, JWT_BEARER_GRANT, OwnRedisServer, signAssertion, type PartyKey, postForm } from '@trust-broker/testing';
import { startBrokerEnvironment, startTokenService, type BrokerEnvironment, type TokenServiceInstance } from './support/broker-environment';

jest.setTimeout(300_000);

const ISS = 'https://idp-redis-outage.example';
let env: BrokerEnvironment;
let redis: OwnRedisServer;
let broker: TokenServiceInstance;
let key: PartyKey;

beforeAll(async () => {
  env = await startBrokerEnvironment('redisdown');
  key = await generatePartyKey('ES256');
  await env.admin.createIssuer({ issuer: ISS, jwks: jwksOf(key), subjects: ['*'] });
  redis = await OwnRedisServer.start();
  // The issuer is in Postgres already: the first full load finds it, no message needed.
  broker = await startTokenService(env, { REDIS_URL: redis.url });
});

afterAll(async () => {
  await broker?.process.stop();
  await redis?.stop();
  await env?.stop();
});

const exchange = async () =>
  postForm(broker.tokenEndpoint, {
    grant_type: JWT_BEARER_GRANT,
    assertion: await signAssertion(key, assertionClaims({ iss: ISS, sub: 'alice', aud: broker.issuer })),
  });

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
