/**
 * Serving from memory while Postgres is unreachable (ARCHITECTURE.md): the token service
 * reaches Postgres through a TCP proxy this test cuts; its periodic trust reload then
 * fails, and cached issuers keep being served.
 */
import { assertionClaims, eventually, generatePartyKey, jwksOf, JWT_BEARER_GRANT, signAssertion, TcpProxy, type PartyKey, postForm } from '@trust-broker/testing';
import { startBrokerEnvironment, startTokenService, type BrokerEnvironment, type TokenServiceInstance } from './support/broker-environment';

jest.setTimeout(300_000);

const ISS = 'https://idp-pg-outage.example';
let env: BrokerEnvironment;
let proxy: TcpProxy;
let broker: TokenServiceInstance;
let key: PartyKey;

beforeAll(async () => {
  env = await startBrokerEnvironment('pgdown');
  key = await generatePartyKey('ES256');
  await env.admin.createIssuer({ issuer: ISS, jwks: jwksOf(key), subjects: ['*'] });
  const target = new URL(env.database.url);
  proxy = await TcpProxy.start(target.hostname, Number(target.port || 5432));
  const viaProxy = new URL(env.database.url);
  viaProxy.port = String(proxy.port);
  broker = await startTokenService(env, { DATABASE_URL: viaProxy.toString(), TRUST_RELOAD_INTERVAL_S: '1' });
});

afterAll(async () => {
  await broker?.process.stop();
  await proxy?.cut();
  await env?.stop();
});

const exchange = async () =>
  postForm(broker.tokenEndpoint, {
    grant_type: JWT_BEARER_GRANT,
    assertion: await signAssertion(key, assertionClaims({ iss: ISS, sub: 'alice', aud: broker.issuer })),
  });

it('keeps issuing tokens for cached issuers while Postgres is unreachable', async () => {
  expect((await exchange()).status).toBe(200);

  await proxy.cut();
  // Not ready (its Postgres does not answer) and its trust reload has failed...
  await eventually(async () => (await fetch(`${broker.url}/readyz`)).status === 503, 20_000, 200);
  await eventually(async () => broker.process.output().includes('serving from memory'), 20_000, 200);
  // ...yet the cached issuer is still served.
  for (let i = 0; i < 3; i++) {
    const answer = await exchange();
    expect(answer.status).toBe(200);
    expect(typeof answer.body.access_token).toBe('string');
  }
});
