/**
 * POST /oauth2/introspect (RFC 7662) and POST /oauth2/revoke (RFC 7009) end to end: the
 * built issuer-registry registers clients through its admin API, two token-service
 * replicas answer over HTTP, real Postgres and Redis. Every client
 * authentication method, the failure paths, and one audit event per request.
 */
import { randomUUID } from 'node:crypto';
import { decodeJwt } from 'jose';
import {
  assertionClaims,
  CLIENT_ASSERTION_TYPE,
  eventually,
  generatePartyKey,
  jwksOf,
  JWT_BEARER_GRANT,
  nowSeconds,
  signAssertion,
  type CreatedClient,
  type PartyKey,
  basicAuthorization,
  postForm,
  type TokenAnswer,
} from '@trust-broker/testing';
import type { TokenServiceInstance } from './support/broker-environment';
import { withBrokenAuditStreams } from './support/broken-audit-streams';
import { useBroker } from './support/use-broker';

const ISSUER = 'https://idp.example';
const API = 'https://api.example';
type ConfidentialMethod = 'private_key_jwt' | 'client_secret_jwt' | 'client_secret_basic' | 'client_secret_post';
const CONFIDENTIAL_METHODS: ConfidentialMethod[] = ['private_key_jwt', 'client_secret_jwt', 'client_secret_basic', 'client_secret_post'];

const broker = useBroker('introspect');
let replica: TokenServiceInstance;
let issuerKey: PartyKey;
let clientKey: PartyKey;
const clients = {} as Record<ConfidentialMethod, CreatedClient>;
let publicClient: CreatedClient;

interface Credentials {
  parameters: Record<string, string>;
  headers: Record<string, string>;
}

/** The request parts that authenticate `client` with its method (a fresh assertion each time). */
async function credentialsOf(method: ConfidentialMethod): Promise<Credentials> {
  const client = clients[method];
  // Both replicas share one BROKER_ISSUER, the audience of client assertions.
  const claims = assertionClaims({ iss: client.client_id, sub: client.client_id, aud: broker.issuer });
  switch (method) {
    case 'private_key_jwt':
      return { parameters: { client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: await signAssertion(clientKey, claims) }, headers: {} };
    case 'client_secret_jwt': {
      const secret = new TextEncoder().encode(client.client_secret!);
      return { parameters: { client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: await signAssertion({ secret, alg: 'HS256' }, claims) }, headers: {} };
    }
    case 'client_secret_basic':
      return { parameters: {}, headers: { authorization: basicAuthorization(client.client_id, client.client_secret!) } };
    case 'client_secret_post':
      return { parameters: { client_id: client.client_id, client_secret: client.client_secret! }, headers: {} };
  }
}

async function tokenFor(method: ConfidentialMethod, scope = 'read'): Promise<string> {
  const { parameters, headers } = await credentialsOf(method);
  const answer = await postForm(broker.tokenEndpoint, { grant_type: 'client_credentials', scope, ...parameters }, headers);
  expect(answer.status).toBe(200);
  return answer.body.access_token as string;
}

async function callAs(
  method: ConfidentialMethod,
  endpoint: 'introspect' | 'revoke',
  parameters: Record<string, string>,
  target: TokenServiceInstance = broker,
  requestId = randomUUID(),
): Promise<TokenAnswer> {
  const credentials = await credentialsOf(method);
  return postForm(`${target.url}/oauth2/${endpoint}`, { ...parameters, ...credentials.parameters }, { ...credentials.headers, 'x-request-id': requestId });
}

beforeAll(async () => {
  replica = await broker.startReplica({ BROKER_ISSUER: broker.issuer });
  [issuerKey, clientKey] = await Promise.all([generatePartyKey('ES256', 'issuer-key'), generatePartyKey('ES256', 'client-key')]);
  await broker.admin.createIssuer({
    issuer: ISSUER,
    jwks: jwksOf(issuerKey),
    subjects: ['*'],
    allowed_scopes: ['read', 'write'],
    audiences: [API],
    claim_mappings: { department: 'claims.department' },
  });
  const grantTypes = ['client_credentials', JWT_BEARER_GRANT];
  // Each is also a resource server of both audiences the tokens here carry, so it may
  // introspect the others' tokens (RFC 7662 §4; security-review.test.ts covers the refusal).
  const common = { grant_types: grantTypes, scope: 'read write', introspection_audiences: [broker.issuer, API] };
  clients.private_key_jwt = await broker.admin.createClient({ token_endpoint_auth_method: 'private_key_jwt', jwks: jwksOf(clientKey), ...common });
  clients.client_secret_jwt = await broker.admin.createClient({ token_endpoint_auth_method: 'client_secret_jwt', ...common });
  clients.client_secret_basic = await broker.admin.createClient({ token_endpoint_auth_method: 'client_secret_basic', ...common });
  clients.client_secret_post = await broker.admin.createClient({ token_endpoint_auth_method: 'client_secret_post', ...common });
  publicClient = await broker.admin.createClient({ token_endpoint_auth_method: 'none', grant_types: [JWT_BEARER_GRANT], scope: 'read' });
  // The trust cache of both replicas sees the new clients within 2 s (CONTRACT.md).
  await eventually(async () => (await postForm(broker.tokenEndpoint, { grant_type: 'client_credentials', client_id: clients.client_secret_post.client_id, client_secret: clients.client_secret_post.client_secret! })).status === 200, 10_000);
  await eventually(async () => (await postForm(replica.tokenEndpoint, { grant_type: 'client_credentials', client_id: clients.client_secret_post.client_id, client_secret: clients.client_secret_post.client_secret! })).status === 200, 10_000);
});

describe('POST /oauth2/introspect', () => {
  it.each(CONFIDENTIAL_METHODS)('a client authenticated with %s learns an active token’s claims', async (method) => {
    const token = await tokenFor('client_secret_basic', 'read write');
    const claims = decodeJwt(token);
    const answer = await callAs(method, 'introspect', { token });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.body).toEqual({
      active: true,
      token_type: 'Bearer',
      scope: 'read write',
      client_id: clients.client_secret_basic.client_id,
      sub: claims.sub,
      aud: claims.aud,
      iss: broker.issuer,
      exp: claims.exp,
      iat: claims.iat,
      jti: claims.jti,
      ...(claims.nbf !== undefined ? { nbf: claims.nbf } : {}),
    });
  });

  it('an exchanged grant’s token carries idp and the mapped claims', async () => {
    const assertion = await signAssertion(issuerKey, assertionClaims({ iss: ISSUER, sub: 'alice', aud: broker.issuer }, { department: 'research' }));
    const credentials = await credentialsOf('client_secret_post');
    const exchanged = await postForm(broker.tokenEndpoint, { grant_type: JWT_BEARER_GRANT, assertion, scope: 'read', ...credentials.parameters });
    expect(exchanged.status).toBe(200);
    const answer = await callAs('private_key_jwt', 'introspect', { token: exchanged.body.access_token as string });
    expect(answer.body).toMatchObject({ active: true, sub: 'alice', idp: ISSUER, department: 'research', aud: API, scope: 'read' });
  });

  it('token_type_hint is accepted and ignored', async () => {
    const token = await tokenFor('client_secret_basic');
    for (const hint of ['access_token', 'refresh_token', 'something_else']) {
      const answer = await callAs('client_secret_post', 'introspect', { token, token_type_hint: hint });
      expect(answer.body).toMatchObject({ active: true });
    }
  });

  const inactiveCases: Array<[string, () => Promise<string> | string]> = [
    ['garbage', () => 'not-a-token'],
    ['a JWT with three garbage segments', () => 'aaa.bbb.ccc'],
    ['a token with a flipped signature byte', async () => {
      const token = await tokenFor('client_secret_basic');
      const signature = Buffer.from(token.split('.')[2]!, 'base64url');
      signature[0] ^= 1;
      return `${token.split('.').slice(0, 2).join('.')}.${signature.toString('base64url')}`;
    }],
    ['a partner’s assertion (not our token)', () => signAssertion(issuerKey, assertionClaims({ iss: ISSUER, sub: 'alice', aud: broker.issuer }))],
  ];

  it.each(inactiveCases)('%s: {"active": false} and nothing else', async (_name, makeToken) => {
    const answer = await callAs('client_secret_basic', 'introspect', { token: await makeToken() });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ active: false });
  });

  const refusedCases: Array<[string, number, string, () => Promise<{ parameters: Record<string, string>; headers?: Record<string, string> }>]> = [
    ['no client authentication', 401, 'invalid_client', async () => ({ parameters: { token: await tokenFor('client_secret_basic') } })],
    ['a public client (none)', 401, 'invalid_client', async () => ({ parameters: { token: await tokenFor('client_secret_basic'), client_id: publicClient.client_id } })],
    ['a wrong secret (Basic)', 401, 'invalid_client', async () => ({
      parameters: { token: await tokenFor('client_secret_basic') },
      headers: { authorization: basicAuthorization(clients.client_secret_basic.client_id, 'wrong-secret') },
    })],
    ['a wrong secret (post)', 401, 'invalid_client', async () => ({
      parameters: { token: await tokenFor('client_secret_basic'), client_id: clients.client_secret_post.client_id, client_secret: 'wrong-secret' },
    })],
    ['an unknown client', 401, 'invalid_client', async () => ({ parameters: { token: 'x', client_id: 'nobody', client_secret: 'whatever' } })],
    ['no token parameter', 400, 'invalid_request', async () => ({ parameters: { client_id: clients.client_secret_post.client_id, client_secret: clients.client_secret_post.client_secret! } })],
    ['an empty token parameter', 400, 'invalid_request', async () => ({ parameters: { token: '', client_id: clients.client_secret_post.client_id, client_secret: clients.client_secret_post.client_secret! } })],
  ];

  it.each(refusedCases)('%s: %i %s', async (_name, status, error, makeRequest) => {
    const { parameters, headers = {} } = await makeRequest();
    const answer = await postForm(`${broker.url}/oauth2/introspect`, parameters, headers);
    expect(answer.status).toBe(status);
    expect(answer.body.error).toBe(error);
    expect(answer.body).not.toHaveProperty('active');
  });

  it('a repeated token parameter or a JSON body is invalid_request; GET is 405', async () => {
    const post = clients.client_secret_post;
    const repeated = await postForm(`${broker.url}/oauth2/introspect`, `token=a&token=b&client_id=${post.client_id}&client_secret=${encodeURIComponent(post.client_secret!)}`);
    expect([repeated.status, repeated.body.error]).toEqual([400, 'invalid_request']);
    const json = await fetch(`${broker.url}/oauth2/introspect`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: 'x' }) });
    expect(json.status).toBe(400);
    expect(((await json.json()) as { error: string }).error).toBe('invalid_request');
    const get = await fetch(`${broker.url}/oauth2/introspect?token=x`);
    expect(get.status).toBe(405);
    expect(((await get.json()) as { error: string }).error).toBe('invalid_request');
  });

  it.each(['introspect', 'revoke'].flatMap((endpoint) => ['GET', 'PUT', 'PATCH', 'DELETE'].map((method) => [endpoint, method] as const)))(
    '/oauth2/%s answers %s with 405 invalid_request, Allow: POST',
    async (endpoint, method) => {
      const response = await fetch(`${broker.url}/oauth2/${endpoint}`, { method });
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('POST');
      expect(await response.json()).toEqual({ error: 'invalid_request', error_description: 'this endpoint takes POST with a form body only' });
    },
  );

  it('writes one audit event per request, naming the caller and the token by hashed jti only', async () => {
    const token = await tokenFor('client_secret_basic');
    const active = randomUUID();
    const inactive = randomUUID();
    const refused = randomUUID();
    await callAs('private_key_jwt', 'introspect', { token }, broker, active);
    await callAs('private_key_jwt', 'introspect', { token: 'garbage' }, broker, inactive);
    await postForm(`${broker.url}/oauth2/introspect`, { token }, { 'x-request-id': refused });
    const events = await eventually(async () => {
      const found = await Promise.all([active, inactive, refused].map((id) => broker.audit.byRequestId(id)));
      return found.every((list) => list.length > 0) ? found : undefined;
    }, 10_000);
    for (const list of events) expect(list).toHaveLength(1);
    const [success, notActive, failure] = events.map((list) => list[0] as unknown as Record<string, unknown>);
    expect(success).toMatchObject({ type: 'introspection', outcome: 'success', client_id: clients.private_key_jwt.client_id, details: { active: true } });
    expect(success.jti_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(notActive).toMatchObject({ type: 'introspection', outcome: 'success', details: { active: false, inactive_reason: 'token_invalid' } });
    expect(failure).toMatchObject({ type: 'introspection', outcome: 'failure', error: 'invalid_client', reason: 'client_auth_missing' });
    const serialized = JSON.stringify(events);
    expect(serialized).not.toContain(token);
    expect(serialized).not.toContain(decodeJwt(token).jti as string);
  });
});

describe('POST /oauth2/revoke', () => {
  it.each(CONFIDENTIAL_METHODS)('a client authenticated with %s revokes its own token: 200, empty body, inactive on every replica', async (method) => {
    const token = await tokenFor(method);
    expect((await callAs('client_secret_basic', 'introspect', { token })).body.active).toBe(true);
    expect((await callAs('client_secret_basic', 'introspect', { token }, replica)).body.active).toBe(true);
    const requestId = randomUUID();
    const credentials = await credentialsOf(method);
    const response = await fetch(`${broker.url}/oauth2/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-request-id': requestId, ...credentials.headers },
      body: new URLSearchParams({ token, token_type_hint: 'access_token', ...credentials.parameters }).toString(),
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('');
    expect((await callAs('client_secret_post', 'introspect', { token })).body).toEqual({ active: false });
    // The other replica shares the revocation store.
    expect((await callAs('client_secret_post', 'introspect', { token }, replica)).body).toEqual({ active: false });
    const [event] = await eventually(async () => {
      const found = await broker.audit.byRequestId(requestId);
      return found.length > 0 ? found : undefined;
    }, 10_000);
    expect(event).toMatchObject({ type: 'revocation', outcome: 'success', client_id: clients[method].client_id, details: { revoked: true } });
    expect(JSON.stringify(event)).not.toContain(token);
  });

  it('a token issued to another client is not revoked, yet the answer is 200', async () => {
    const token = await tokenFor('client_secret_basic');
    const requestId = randomUUID();
    const answer = await callAs('private_key_jwt', 'revoke', { token }, broker, requestId);
    expect(answer.status).toBe(200);
    expect((await callAs('client_secret_post', 'introspect', { token })).body.active).toBe(true);
    const [event] = await eventually(async () => {
      const found = await broker.audit.byRequestId(requestId);
      return found.length > 0 ? found : undefined;
    }, 10_000);
    expect(event).toMatchObject({ type: 'revocation', outcome: 'failure', reason: 'token_of_another_client' });
  });

  it.each([['garbage'], ['aaa.bbb.ccc'], ['refresh-token-we-never-issued']])('an invalid token (%s) is 200 too (RFC 7009 §2.2)', async (token) => {
    const answer = await callAs('client_secret_post', 'revoke', { token, token_type_hint: 'refresh_token' });
    expect(answer.status).toBe(200);
  });

  it('revoking twice is 200 both times', async () => {
    const token = await tokenFor('client_secret_post');
    expect((await callAs('client_secret_post', 'revoke', { token })).status).toBe(200);
    expect((await callAs('client_secret_post', 'revoke', { token })).status).toBe(200);
    expect((await callAs('client_secret_post', 'introspect', { token })).body).toEqual({ active: false });
  });

  it('a token revoked on one replica is inactive on the other, also after the other restarts', async () => {
    const token = await tokenFor('client_secret_basic');
    expect((await callAs('client_secret_post', 'introspect', { token }, replica)).body.active).toBe(true);
    expect((await callAs('client_secret_basic', 'revoke', { token })).status).toBe(200);
    expect((await callAs('client_secret_post', 'introspect', { token }, replica)).body).toEqual({ active: false });
    await replica.process.stop();
    replica = await broker.startReplica({ BROKER_ISSUER: broker.issuer });
    await eventually(async () => (await callAs('client_secret_post', 'introspect', { token: await tokenFor('client_secret_basic') }, replica)).body.active === true, 10_000);
    expect((await callAs('client_secret_post', 'introspect', { token }, replica)).body).toEqual({ active: false });
  });

  const refusedCases: Array<[string, number, string, () => Promise<{ parameters: Record<string, string>; headers?: Record<string, string> }>]> = [
    ['no client authentication', 401, 'invalid_client', async () => ({ parameters: { token: await tokenFor('client_secret_basic') } })],
    ['a public client (none)', 401, 'invalid_client', async () => ({ parameters: { token: 'x', client_id: publicClient.client_id } })],
    ['a wrong secret', 401, 'invalid_client', async () => ({
      parameters: { token: await tokenFor('client_secret_basic') },
      headers: { authorization: basicAuthorization(clients.client_secret_basic.client_id, 'wrong-secret') },
    })],
    ['no token parameter', 400, 'invalid_request', async () => ({ parameters: { client_id: clients.client_secret_post.client_id, client_secret: clients.client_secret_post.client_secret! } })],
  ];

  it.each(refusedCases)('%s: %i %s, and the token stays active', async (_name, status, error, makeRequest) => {
    const { parameters, headers = {} } = await makeRequest();
    const answer = await postForm(`${broker.url}/oauth2/revoke`, parameters, headers);
    expect(answer.status).toBe(status);
    expect(answer.body.error).toBe(error);
    if (parameters.token && parameters.token !== 'x') {
      expect((await callAs('client_secret_post', 'introspect', { token: parameters.token })).body.active).toBe(true);
    }
  });

  it('an expired client assertion does not authenticate a revocation', async () => {
    const token = await tokenFor('private_key_jwt');
    const client = clients.private_key_jwt;
    const expired = await signAssertion(
      clientKey,
      assertionClaims({ iss: client.client_id, sub: client.client_id, aud: broker.issuer }, { iat: nowSeconds() - 600, exp: nowSeconds() - 300 }),
    );
    const answer = await postForm(`${broker.url}/oauth2/revoke`, { token, client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: expired });
    expect([answer.status, answer.body.error]).toEqual([401, 'invalid_client']);
    expect((await callAs('client_secret_post', 'introspect', { token })).body.active).toBe(true);
  });
});

describe('a client assertion is used up only by a request answered 200', () => {
  const ENDPOINTS = ['introspect', 'revoke'] as const;
  const freshAssertion = () => {
    const client = clients.private_key_jwt;
    return signAssertion(clientKey, assertionClaims({ iss: client.client_id, sub: client.client_id, aud: broker.issuer }));
  };
  const call = (endpoint: (typeof ENDPOINTS)[number], clientAssertion: string, parameters: Record<string, string>) =>
    postForm(`${broker.url}/oauth2/${endpoint}`, { ...parameters, client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: clientAssertion });

  it.each(ENDPOINTS)('%s: refused without a token, then the same assertion is accepted once', async (endpoint) => {
    const token = await tokenFor('client_secret_post');
    const clientAssertion = await freshAssertion();
    const refused = await call(endpoint, clientAssertion, {});
    expect([refused.status, refused.body.error]).toEqual([400, 'invalid_request']);
    expect((await call(endpoint, clientAssertion, { token })).status).toBe(200);
    const replayed = await call(endpoint, clientAssertion, { token });
    expect([replayed.status, replayed.body.error]).toEqual([401, 'invalid_client']);
  });

  it.each(ENDPOINTS)('%s: 503 when the audit event cannot be appended, then the same assertion is accepted once', async (endpoint) => {
    const token = await tokenFor('private_key_jwt');
    const clientAssertion = await freshAssertion();
    await withBrokenAuditStreams(broker.env.redis.url, broker.env.redis.prefix, async () => {
      const unavailable = await call(endpoint, clientAssertion, { token });
      expect([unavailable.status, unavailable.body.error]).toEqual([503, 'temporarily_unavailable']);
    });
    expect((await call(endpoint, clientAssertion, { token })).status).toBe(200);
    const replayed = await call(endpoint, clientAssertion, { token });
    expect([replayed.status, replayed.body.error]).toEqual([401, 'invalid_client']);
  });
});

describe('requests with a body the endpoints do not take', () => {
  const cases: Array<[string, 'introspect' | 'revoke', string, string, number, string]> = [
    ['a body over 1 MiB to introspect', 'introspect', 'application/x-www-form-urlencoded', `token=${'a'.repeat(1_100_000)}`, 413, 'body_too_large'],
    ['a text/plain body to introspect', 'introspect', 'text/plain', 'token=abc', 400, 'unsupported_content_type'],
    ['an application/xml body to introspect', 'introspect', 'application/xml', '<token>abc</token>', 400, 'malformed_request'],
    ['a body over 1 MiB to revoke', 'revoke', 'application/x-www-form-urlencoded', `token=${'a'.repeat(1_100_000)}`, 413, 'body_too_large'],
    ['a text/plain body to revoke', 'revoke', 'text/plain', 'token=abc', 400, 'unsupported_content_type'],
    ['an application/xml body to revoke', 'revoke', 'application/xml', '<token>abc</token>', 400, 'malformed_request'],
  ];

  it.each(cases)('%s (POST /oauth2/%s): invalid_request, audited once', async (_name, endpoint, contentType, body, status, reason) => {
    const requestId = randomUUID();
    const response = await fetch(`${broker.url}/oauth2/${endpoint}`, { method: 'POST', headers: { 'content-type': contentType, 'x-request-id': requestId }, body });
    expect(response.status).toBe(status);
    expect(((await response.json()) as { error: string }).error).toBe('invalid_request');
    const events = await eventually(async () => {
      const found = await broker.audit.byRequestId(requestId);
      return found.length > 0 ? found : undefined;
    }, 10_000);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: endpoint === 'introspect' ? 'introspection' : 'revocation', outcome: 'failure', reason, error: 'invalid_request' });
  });
});

describe('GET /metrics', () => {
  it('counts introspections and revocations by result, and the published signing keys', async () => {
    const text = await (await fetch(`${broker.url}/metrics`)).text();
    for (const [endpoint, result] of [
      ['introspection', 'active'],
      ['introspection', 'inactive'],
      ['introspection', 'invalid_client'],
      ['introspection', 'invalid_request'],
      ['revocation', 'revoked'],
      ['revocation', 'not_revoked'],
      ['revocation', 'invalid_client'],
    ]) {
      expect(text).toMatch(new RegExp(`token_management_requests_total\\{endpoint="${endpoint}",result="${result}"\\} [1-9]`));
    }
    expect(text).toMatch(/signing_keys\{status="active"\} 1\b/);
  });
});
