/**
 * Revocation and introspection fail closed without Redis, and survive a Redis that comes
 * back empty: the token service points at a redis-server of this test's own (no
 * persistence). While it is down both endpoints answer 503 `temporarily_unavailable`
 * (no answer unaudited, never an unchecked `active: true`); once it is back, empty, a
 * token revoked before the outage is still inactive (the durable copy in Postgres).
 */
import { eventually, type OwnRedisServer, type CreatedClient, basicAuthorization, postForm, type TokenAnswer } from '@trust-broker/testing';
import { useBroker } from './support/use-broker';

const broker = useBroker('revokeredis', { deferTokenService: true });
let redis: OwnRedisServer;
let client: CreatedClient;

const authorization = () => ({ authorization: basicAuthorization(client.client_id, client.client_secret!) });
const issueToken = async (): Promise<string> => {
  const answer = await postForm(broker.tokenEndpoint, { grant_type: 'client_credentials' }, authorization());
  expect(answer.status).toBe(200);
  return answer.body.access_token as string;
};
const introspect = (token: string): Promise<TokenAnswer> => postForm(`${broker.url}/oauth2/introspect`, { token }, authorization());
const revoke = (token: string): Promise<TokenAnswer> => postForm(`${broker.url}/oauth2/revoke`, { token }, authorization());

beforeAll(async () => {
  client = await broker.admin.createClient({ token_endpoint_auth_method: 'client_secret_basic', grant_types: ['client_credentials'], scope: 'read' });
  redis = await broker.startOwnRedis();
  // The client is in Postgres already: the token service's first full load finds it.
  await broker.startTokenService({ REDIS_URL: redis.url });
});

it('503 while Redis is down; a token revoked before stays inactive after Redis returns empty', async () => {
  const revoked = await issueToken();
  const kept = await issueToken();
  expect((await revoke(revoked)).status).toBe(200);
  expect((await introspect(revoked)).body).toEqual({ active: false });

  await redis.stop();
  const refused = await eventually(async () => {
    const answer = await introspect(kept);
    return answer.status === 503 ? answer : undefined;
  }, 15_000, 100);
  expect(refused.body).toEqual({ error: 'temporarily_unavailable', error_description: expect.any(String) });
  expect(refused.headers.get('retry-after')).toBe('1');
  for (const token of [revoked, kept]) {
    const introspection = await introspect(token);
    expect(introspection.status).toBe(503);
    expect(introspection.body).not.toHaveProperty('active');
    const revocation = await revoke(token);
    expect([revocation.status, revocation.body.error]).toEqual([503, 'temporarily_unavailable']);
  }

  await redis.resume(); // a new, empty redis-server: every revocation mark is gone
  await eventually(async () => (await introspect(kept)).status === 200, 20_000, 200);
  expect((await introspect(revoked)).body).toEqual({ active: false });
  expect((await introspect(kept)).body).toMatchObject({ active: true, client_id: client.client_id });
});
