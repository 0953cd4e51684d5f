/**
 * Refresh tokens fail closed without Redis (CONTRACT.md "Refresh tokens and DPoP", issue
 * 23): the token service points at a redis-server of this test's own; while it is down a
 * refresh answers 503 `temporarily_unavailable` (no token without its audit event, no DPoP
 * proof without the replay check), and the refresh token the client holds still works once
 * Redis is back: the rotation of a request that answered 503 is withdrawn, not counted as
 * a use, so the retry is not taken for reuse.
 */
import { assertionClaims, eventually, generatePartyKey, jwksOf, JWT_BEARER_GRANT, type OwnRedisServer, postForm, signAssertion, type CreatedClient, type PartyKey } from '@trust-broker/testing';
import { useBroker } from './support/use-broker';
import { dpopProof, generateDpopKey } from './support/dpop-proofs';

const ISS = 'https://idp-refresh-redis.example';
const broker = useBroker('refreshredis', { deferTokenService: true });
let redis: OwnRedisServer;
let key: PartyKey;
let client: CreatedClient;
let publicClient: CreatedClient;

beforeAll(async () => {
  key = await generatePartyKey('ES256');
  await broker.admin.createIssuer({ issuer: ISS, jwks: jwksOf(key), subjects: ['*'], allowed_scopes: ['read'], refresh_tokens: true });
  client = await broker.admin.createClient({ token_endpoint_auth_method: 'client_secret_post', grant_types: [JWT_BEARER_GRANT, 'refresh_token'], scope: 'read' });
  publicClient = await broker.admin.createClient({ token_endpoint_auth_method: 'none', grant_types: [JWT_BEARER_GRANT, 'refresh_token'], scope: 'read' });
  redis = await broker.startOwnRedis({ persistent: true });
  await broker.startTokenService({ REDIS_URL: redis.url });
});

const auth = (c: CreatedClient): Record<string, string> => (c.client_secret ? { client_id: c.client_id, client_secret: c.client_secret } : { client_id: c.client_id });
const grant = async (c: CreatedClient, headers: Record<string, string> = {}) =>
  postForm(broker.tokenEndpoint, { grant_type: JWT_BEARER_GRANT, assertion: await signAssertion(key, assertionClaims({ iss: ISS, sub: 'alice', aud: broker.issuer })), ...auth(c) }, headers);
const refresh = (token: string, c: CreatedClient, headers: Record<string, string> = {}) => postForm(broker.tokenEndpoint, { grant_type: 'refresh_token', refresh_token: token, ...auth(c) }, headers);

it('answers 503 to refreshes while Redis is down, and the same refresh tokens work once it is back', async () => {
  const first = await eventually(async () => {
    const answer = await grant(client);
    return answer.status === 200 ? answer : undefined;
  }, 10_000);
  const token = first.body.refresh_token as string;
  const dpopKey = await generateDpopKey();
  const bound = await grant(publicClient, { dpop: await dpopProof(dpopKey, broker.tokenEndpoint) });
  expect(bound.status).toBe(200);
  const boundToken = bound.body.refresh_token as string;

  await redis.stop();
  const refused = await eventually(async () => {
    const answer = await refresh(token, client);
    return answer.status === 503 ? answer : undefined;
  }, 15_000, 100);
  expect(refused.body).toMatchObject({ error: 'temporarily_unavailable' });
  expect(refused.body.refresh_token).toBeUndefined();
  for (let i = 0; i < 3; i++) {
    expect((await refresh(token, client)).status).toBe(503);
    expect((await refresh(boundToken, publicClient, { dpop: await dpopProof(dpopKey, broker.tokenEndpoint) })).status).toBe(503);
  }

  await redis.resume();
  const recovered = await eventually(async () => {
    const answer = await refresh(token, client);
    return answer.status === 200 ? answer : undefined;
  }, 20_000, 200);
  expect(recovered.body.refresh_token).toEqual(expect.any(String));
  const boundRecovered = await refresh(boundToken, publicClient, { dpop: await dpopProof(dpopKey, broker.tokenEndpoint) });
  expect(boundRecovered.status).toBe(200);
  expect(boundRecovered.body.token_type).toBe('DPoP');
  // The family lives on: the new token rotates again, the old one is now a real reuse.
  expect((await refresh(recovered.body.refresh_token as string, client)).status).toBe(200);
  expect((await refresh(token, client)).body.error).toBe('invalid_grant');
});
