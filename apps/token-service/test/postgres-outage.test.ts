/**
 * Serving from memory while Postgres is unreachable (ARCHITECTURE.md): the token service
 * reaches Postgres through a TCP proxy this test cuts; its periodic trust reload then
 * fails, and cached issuers keep being served, for at most TRUST_MAX_STALE_S: then it
 * fails closed (503) until a reload succeeds again.
 */
import { assertionClaims, eventually, generatePartyKey, jwksOf, JWT_BEARER_GRANT, signAssertion, type PartyKey, type TcpProxy, postForm } from '@trust-broker/testing';
import { useBroker } from './support/use-broker';

const ISS = 'https://idp-pg-outage.example';
const broker = useBroker('pgdown', { deferTokenService: true });
let proxy: TcpProxy;
let key: PartyKey;

beforeAll(async () => {
  key = await generatePartyKey('ES256');
  await broker.admin.createIssuer({ issuer: ISS, jwks: jwksOf(key), subjects: ['*'] });
  proxy = await broker.startDatabaseProxy();
  await broker.startTokenService({ DATABASE_URL: proxy.wrap(broker.env.database.url), TRUST_RELOAD_INTERVAL_S: '1' });
});

const exchange = async () =>
  postForm(broker.tokenEndpoint, {
    grant_type: JWT_BEARER_GRANT,
    assertion: await signAssertion(key, assertionClaims({ iss: ISS, sub: 'alice', aud: broker.issuer })),
  });

it('keeps issuing tokens for cached issuers while Postgres is unreachable', async () => {
  expect((await exchange()).status).toBe(200);

  await proxy.cut();
  // Its trust reload has failed and /readyz says Postgres is down, yet the pod stays ready
  // (200, `degraded`): it can still serve, so Kubernetes keeps it in the Service...
  await eventually(async () => broker.process.output().includes('serving from memory'), 20_000, 200);
  const readiness = await eventually(async () => {
    const answer = await fetch(`${broker.url}/readyz`);
    const body = (await answer.json()) as { status: string; checks: Record<string, string> };
    return body.checks.postgres?.startsWith('down') ? { status: answer.status, body } : undefined;
  }, 20_000, 200);
  expect(readiness.status).toBe(200);
  expect(readiness.body.status).toBe('degraded');
  expect(readiness.body.checks).toMatchObject({ redis: 'ok', trust: 'ok' });
  // ...yet the cached issuer is still served.
  for (let i = 0; i < 3; i++) {
    const answer = await exchange();
    expect(answer.status).toBe(200);
    expect(typeof answer.body.access_token).toBe('string');
  }
});

it('fails closed once the trust is older than TRUST_MAX_STALE_S, and serves again after a successful reload', async () => {
  const strictProxy = await broker.startDatabaseProxy();
  const strict = await broker.startReplica({ DATABASE_URL: strictProxy.wrap(broker.env.database.url), TRUST_RELOAD_INTERVAL_S: '1', TRUST_MAX_STALE_S: '4' });
  const send = async () =>
    postForm(strict.tokenEndpoint, {
      grant_type: JWT_BEARER_GRANT,
      assertion: await signAssertion(key, assertionClaims({ iss: ISS, sub: 'alice', aud: strict.issuer })),
    });
  try {
    expect((await send()).status).toBe(200);
    await strictProxy.cut();
    const cutAt = Date.now();
    const refused = await eventually(async () => {
      const answer = await send();
      return answer.status === 503 ? answer : undefined;
    }, 30_000, 250);
    // Not before the bound: the cached trust served meanwhile.
    expect(Date.now() - cutAt).toBeGreaterThanOrEqual(3000);
    expect(refused.body).toEqual({ error: 'temporarily_unavailable', error_description: expect.any(String) });
    const readiness = (await (await fetch(`${strict.url}/readyz`)).json()) as { checks: Record<string, string> };
    expect(readiness.checks.trust).toMatch(/TRUST_MAX_STALE_S/);
    await strictProxy.restore();
    await eventually(async () => (await send()).status === 200, 30_000, 250);
  } finally {
    await strict.process.stop();
    await strictProxy.cut();
  }
});
