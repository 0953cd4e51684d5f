/**
 * Scheduled signing-key rotation across two real token-service replicas
 * (SIGNING_KEY_ROTATION_S=60, the shortest allowed: the publish-ahead margin is then
 * half of it, 30 s, and replicas reload every 30 s). Watching the JWKS and the tokens of
 * both replicas, it checks that the new key is published before any token carries it,
 * that both replicas move to it, and that a token of the old key still verifies.
 */
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { eventually, type CreatedClient, basicAuthorization, postForm } from '@trust-broker/testing';
import { startBrokerEnvironment, startTokenService, type BrokerEnvironment, type TokenServiceInstance } from './support/broker-environment';

jest.setTimeout(300_000);

let env: BrokerEnvironment;
let replicas: TokenServiceInstance[] = [];
let client: CreatedClient;

const authorization = () => ({ authorization: basicAuthorization(client.client_id, client.client_secret!) });

async function issueToken(replica: TokenServiceInstance): Promise<string> {
  const answer = await postForm(replica.tokenEndpoint, { grant_type: 'client_credentials' }, authorization());
  expect(answer.status).toBe(200);
  return answer.body.access_token as string;
}

async function publishedJwks(replica: TokenServiceInstance): Promise<{ keys: Array<{ kid: string }> }> {
  return (await (await fetch(`${replica.url}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> };
}

beforeAll(async () => {
  env = await startBrokerEnvironment('keys_rotation');
  client = await env.admin.createClient({ token_endpoint_auth_method: 'client_secret_basic', grant_types: ['client_credentials'], scope: 'read' });
  const first = await startTokenService(env, { SIGNING_KEY_ROTATION_S: '60' });
  const second = await startTokenService(env, { SIGNING_KEY_ROTATION_S: '60', BROKER_ISSUER: first.issuer });
  replicas = [first, second];
});

afterAll(async () => {
  await Promise.all(replicas.map((replica) => replica.process.stop()));
  await env?.stop();
});

it('publishes the next key before use, moves every replica to it, and keeps the old key until its tokens expire', async () => {
  const [first, second] = replicas as [TokenServiceInstance, TokenServiceInstance];
  const [oldKid] = (await publishedJwks(first)).keys.map((key) => key.kid);
  const oldToken = await issueToken(first);
  expect(decodeProtectedHeader(oldToken).kid).toBe(oldKid);

  // Watch both replicas until each signs with a new key; every new kid must have been
  // seen in a replica's JWKS before the first token that carries it.
  const publishedAt = new Map<string, number>();
  const firstUsedAt = new Map<string, number>();
  await eventually(
    async () => {
      for (const replica of replicas) {
        for (const key of (await publishedJwks(replica)).keys) if (!publishedAt.has(key.kid)) publishedAt.set(key.kid, Date.now());
      }
      const kids = await Promise.all(replicas.map(async (replica) => decodeProtectedHeader(await issueToken(replica)).kid!));
      for (const kid of kids) if (!firstUsedAt.has(kid)) firstUsedAt.set(kid, Date.now());
      return kids.every((kid) => kid !== oldKid);
    },
    240_000,
    250,
  );
  const newKids = [...firstUsedAt.keys()].filter((kid) => kid !== oldKid);
  expect(newKids.length).toBeGreaterThanOrEqual(1);
  for (const kid of newKids) {
    expect(publishedAt.get(kid)).toBeDefined();
    expect(publishedAt.get(kid)!).toBeLessThan(firstUsedAt.get(kid)!);
  }

  // The old key is retired, not gone: its token still verifies and is still active.
  for (const replica of [first, second]) {
    const jwks = await publishedJwks(replica);
    expect(jwks.keys.map((key) => key.kid)).toContain(oldKid);
    await jwtVerify(oldToken, createLocalJWKSet(jwks as never), { issuer: first.issuer, typ: 'at+jwt' });
    const introspection = await postForm(`${replica.url}/oauth2/introspect`, { token: oldToken }, authorization());
    expect(introspection.body).toMatchObject({ active: true });
  }
});
