/**
 * Logs (CONTRACT.md `LOG_FORMAT`, SECURITY.md): the three real services, at LOG_LEVEL=trace
 * and LOG_FORMAT=json, through a whole run of requests: grants, client assertions (keys and
 * secrets), client secrets (Basic and post), a DPoP header, introspection, revocation, admin
 * calls with the admin key, and failures of each (a replay, wrong secrets, forged and
 * unsigned tokens, a secret in the query, a private key sent to the admin API). Afterwards every value the test sent or
 * received as a credential is searched for in everything the processes printed: none may
 * appear. Every stdout line is one JSON object with the contract's fields.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { exportJWK, SignJWT } from 'jose';
import {
  assertionClaims,
  basicAuthorization,
  CLIENT_ASSERTION_TYPE,
  eventually,
  generatePartyKey,
  jwksOf,
  JWT_BEARER_GRANT,
  postForm,
  PROBE_TRACKED,
  PROBE_WATCHING,
  promiseHookProbeEnv,
  signAssertion,
  unsecuredJwt,
  type CreatedClient,
  type PartyKey,
  type TokenAnswer,
} from '@trust-broker/testing';
import { startSystem, type Service, type System } from './support/system';

// The probe (stderr) says whether a service's promises are tracked by async hooks (last test).
const LOGS = { LOG_LEVEL: 'trace', LOG_FORMAT: 'json', ...promiseHookProbeEnv() };

let system: System;
/** Every credential the run sent or was given, by what it is. */
const sent: { label: string; value: string }[] = [];

function remember(label: string, value: unknown): string {
  if (typeof value !== 'string' || value.length < 16) throw new Error(`${label}: not a credential-like string: ${String(value)}`);
  sent.push({ label, value });
  // A JWT's signature alone is a secret-like value too (and is what a truncated log would keep).
  const parts = value.split('.');
  if (parts.length === 3 && parts[2]!.length >= 16) sent.push({ label: `${label} (signature)`, value: parts[2]! });
  return value;
}

async function privatePartOf(key: PartyKey, label: string): Promise<void> {
  const jwk = await exportJWK(key.privateKey);
  remember(`${label} private key d`, jwk.d);
}

function expectStatus(answer: TokenAnswer, status: number, what: string): TokenAnswer {
  if (answer.status !== status) throw new Error(`${what}: expected ${status}, got ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer;
}

async function dpopProof(key: PartyKey, url: string): Promise<string> {
  return new SignJWT({ htm: 'POST', htu: url, jti: randomUUID(), iat: Math.floor(Date.now() / 1000) })
    .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.publicJwk as never })
    .sign(key.privateKey);
}

function processes(): { name: string; service: Service }[] {
  return [
    { name: 'issuer-registry', service: system.registry },
    { name: 'token-service', service: system.tokens[0]! },
    { name: 'audit-worker', service: system.audit! },
  ];
}

beforeAll(async () => {
  system = await startSystem('logsecrets', { auditWorker: true, registryEnv: LOGS, tokenEnv: LOGS, auditEnv: LOGS });
  remember('ADMIN_API_KEY', system.adminApiKey);
  remember('KEY_ENCRYPTION_KEY', system.sharedEnv.KEY_ENCRYPTION_KEY);
});

afterAll(async () => {
  await system?.stop();
});

it('a whole run of requests', async () => {
  const token = system.tokens[0]!;
  const endpoint = token.tokenEndpoint;
  const { admin } = system;

  // Admin calls with the admin key: a partner, clients of every confidential method.
  const partnerKey = await generatePartyKey('ES256');
  await privatePartOf(partnerKey, 'partner');
  const iss = `https://idp-${randomUUID()}.example.com`;
  await admin.createIssuer({ issuer: iss, jwks: jwksOf(partnerKey), subjects: ['*'], allowed_scopes: ['read', 'write'] });
  const clientKey = await generatePartyKey('ES256');
  await privatePartOf(clientKey, 'client');
  const grantTypes = ['client_credentials', JWT_BEARER_GRANT];
  const keyClient = await admin.createClient({ token_endpoint_auth_method: 'private_key_jwt', jwks: jwksOf(clientKey), grant_types: grantTypes, scope: 'read write' });
  const secretClients: Record<string, CreatedClient> = {};
  for (const method of ['client_secret_basic', 'client_secret_post', 'client_secret_jwt']) {
    secretClients[method] = await admin.createClient({ token_endpoint_auth_method: method, grant_types: grantTypes, scope: 'read write' });
    remember(`${method} client secret`, secretClients[method]!.client_secret);
  }
  // A private key sent where only public keys belong: refused, and its private part never printed.
  const leakedKey = await generatePartyKey('ES256');
  const leakedJwk = { ...(await exportJWK(leakedKey.privateKey)), kid: 'leaked', alg: 'ES256', use: 'sig' };
  remember('private JWK sent to the admin API', leakedJwk.d);
  const refused = await admin.request('POST', '/v1/issuers', { issuer: `https://leak-${randomUUID()}.example.com`, jwks: { keys: [leakedJwk] }, subjects: ['*'] });
  expect(refused.status).toBe(400);
  // A wrong admin key.
  const wrongAdminKey = remember('wrong admin key', randomBytes(32).toString('base64url'));
  expect((await fetch(`${system.registry.url}/v1/issuers`, { headers: { authorization: `Bearer ${wrongAdminKey}` } })).status).toBe(401);
  expect((await fetch(`${system.audit!.url}/v1/audit/events`, { headers: { authorization: `Bearer ${wrongAdminKey}` } })).status).toBe(401);

  const clientAssertion = async () =>
    remember('client assertion', await signAssertion(clientKey, assertionClaims({ iss: keyClient.client_id, sub: keyClient.client_id, aud: token.issuer })));
  const grantAssertion = async (overrides: Record<string, unknown> = {}) =>
    remember('grant assertion', await signAssertion(partnerKey, assertionClaims({ iss, sub: 'alice', aud: token.issuer }, overrides)));
  const basic = secretClients.client_secret_basic!;
  const post = secretClients.client_secret_post!;
  const hmac = secretClients.client_secret_jwt!;

  // Wait until the token service trusts what was registered (CONTRACT.md: within 2 s).
  await eventually(async () => (await postForm(endpoint, { grant_type: 'client_credentials' }, { authorization: basicAuthorization(basic.client_id, basic.client_secret!) })).status === 200, 20_000, 200);
  await eventually(async () => (await postForm(endpoint, { grant_type: JWT_BEARER_GRANT, assertion: await grantAssertion() })).status === 200, 20_000, 200);

  // Grants and client authentication of every kind.
  const grant = expectStatus(
    await postForm(endpoint, { grant_type: JWT_BEARER_GRANT, assertion: await grantAssertion(), scope: 'read write', client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: await clientAssertion() }),
    200,
    'jwt-bearer with private_key_jwt',
  );
  const accessToken = remember('access token', grant.body.access_token);
  const viaBasic = expectStatus(await postForm(endpoint, { grant_type: 'client_credentials' }, { authorization: basicAuthorization(basic.client_id, basic.client_secret!) }), 200, 'client_secret_basic');
  remember('access token', viaBasic.body.access_token);
  const viaPost = expectStatus(await postForm(endpoint, { grant_type: 'client_credentials', client_id: post.client_id, client_secret: post.client_secret! }), 200, 'client_secret_post');
  remember('access token', viaPost.body.access_token);
  const hmacAssertion = remember(
    'client_secret_jwt assertion',
    await signAssertion({ secret: new TextEncoder().encode(hmac.client_secret!), alg: 'HS256' }, assertionClaims({ iss: hmac.client_id, sub: hmac.client_id, aud: token.issuer })),
  );
  const viaHmac = expectStatus(await postForm(endpoint, { grant_type: 'client_credentials', client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: hmacAssertion }), 200, 'client_secret_jwt');
  remember('access token', viaHmac.body.access_token);

  // A DPoP proof header (RFC 9449) on a token request.
  const dpopKey = await generatePartyKey('ES256');
  await privatePartOf(dpopKey, 'DPoP');
  const proof = remember('DPoP proof', await dpopProof(dpopKey, endpoint));
  const withProof = expectStatus(await postForm(endpoint, { grant_type: 'client_credentials', client_id: post.client_id, client_secret: post.client_secret! }, { dpop: proof }), 200, 'DPoP');
  remember('access token', withProof.body.access_token);

  // Introspection and revocation.
  const introspect = `${token.url}/oauth2/introspect`;
  const revoke = `${token.url}/oauth2/revoke`;
  expectStatus(await postForm(introspect, { token: accessToken, client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: await clientAssertion() }), 200, 'introspect');
  expectStatus(await postForm(introspect, { token: viaBasic.body.access_token as string }, { authorization: basicAuthorization(basic.client_id, basic.client_secret!) }), 200, 'introspect with Basic');
  expectStatus(await postForm(revoke, { token: accessToken, client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: await clientAssertion() }), 200, 'revoke');
  expectStatus(await postForm(revoke, { token: viaPost.body.access_token as string, client_id: post.client_id, client_secret: post.client_secret! }), 200, 'revoke with post');

  // Failures: a replayed assertion, a revoked token, wrong secrets, forged and unsigned tokens.
  const replayed = await grantAssertion();
  expectStatus(await postForm(endpoint, { grant_type: JWT_BEARER_GRANT, assertion: replayed }), 200, 'first use');
  expectStatus(await postForm(endpoint, { grant_type: JWT_BEARER_GRANT, assertion: replayed }), 400, 'replay');
  const inactive = await postForm(introspect, { token: accessToken, client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: await clientAssertion() });
  expect(expectStatus(inactive, 200, 'introspect revoked').body).toEqual({ active: false });
  const wrongSecret = remember('wrong client secret', randomBytes(32).toString('base64url'));
  expectStatus(await postForm(endpoint, { grant_type: 'client_credentials' }, { authorization: basicAuthorization(basic.client_id, wrongSecret) }), 401, 'wrong Basic secret');
  expectStatus(await postForm(endpoint, { grant_type: 'client_credentials', client_id: post.client_id, client_secret: wrongSecret }), 401, 'wrong post secret');
  expectStatus(await postForm(endpoint, { grant_type: 'client_credentials', client_id: 'no-such-client', client_secret: wrongSecret }), 401, 'unknown client');
  const forged = remember('forged assertion', await signAssertion(await generatePartyKey('ES256'), assertionClaims({ iss, sub: 'mallory', aud: token.issuer })));
  expectStatus(await postForm(endpoint, { grant_type: JWT_BEARER_GRANT, assertion: forged }), 400, 'forged');
  const unsigned = remember('unsigned assertion', unsecuredJwt(assertionClaims({ iss, sub: 'mallory', aud: token.issuer }, { jti: randomBytes(24).toString('base64url') })));
  expectStatus(await postForm(endpoint, { grant_type: JWT_BEARER_GRANT, assertion: unsigned }), 400, 'alg none');
  const expired = await grantAssertion({ exp: Math.floor(Date.now() / 1000) - 3600, iat: Math.floor(Date.now() / 1000) - 3700 });
  expectStatus(await postForm(endpoint, { grant_type: JWT_BEARER_GRANT, assertion: expired }), 400, 'expired');
  const garbage = remember('garbage token', `${randomBytes(30).toString('base64url')}.${randomBytes(30).toString('base64url')}.${randomBytes(30).toString('base64url')}`);
  expectStatus(await postForm(introspect, { token: garbage }, { authorization: basicAuthorization(basic.client_id, wrongSecret) }), 401, 'introspect with a wrong secret');
  expectStatus(await postForm(`${token.url}/oauth2/token?client_secret=${wrongSecret}`, { grant_type: 'client_credentials' }), 401, 'secret in the query');

  // The audit trail of the run, read with the admin key.
  await eventually(async () => {
    const response = await fetch(`${system.audit!.url}/v1/audit/events?type=token&limit=100`, { headers: { authorization: `Bearer ${system.adminApiKey}` } });
    const { items } = (await response.json()) as { items: unknown[] };
    return items.length >= 15;
  }, 30_000, 250);
  const verify = await fetch(`${system.audit!.url}/v1/audit/verify`, { headers: { authorization: `Bearer ${system.adminApiKey}` } });
  expect(await verify.json()).toMatchObject({ intact: true });
  // Let the last lines (access lines, background work) be written.
  await new Promise((resolve) => setTimeout(resolve, 1000));
});

it('no credential the run sent or received appears in any process output', () => {
  expect(sent.length).toBeGreaterThan(30);
  const found: string[] = [];
  for (const { name, service } of processes()) {
    const output = service.process.output();
    expect(output.length).toBeGreaterThan(1000);
    for (const { label, value } of sent) if (output.includes(value)) found.push(`${name}: ${label}`);
  }
  expect(found).toEqual([]);
});

it('every stdout line is one JSON object with time, level, msg and service, and every request has its access line', () => {
  for (const { name, service } of processes()) {
    const lines = service.process.stdout().split('\n').filter((line) => line !== '');
    expect(lines.length).toBeGreaterThan(5);
    const entries = lines.map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new Error(`${name}: not a JSON line: ${line}`);
      }
    });
    for (const entry of entries) {
      expect({ name, time: typeof entry.time, level: typeof entry.level, msg: typeof entry.msg, service: entry.service }).toEqual({
        name,
        time: 'string',
        level: 'string',
        msg: 'string',
        service: name,
      });
      expect(Number.isNaN(Date.parse(entry.time as string))).toBe(false);
    }
    const access = entries.filter((entry) => typeof entry.route === 'string' && typeof entry.status === 'number');
    expect(access.length).toBeGreaterThan(3);
    for (const entry of access) {
      expect(entry).toEqual(expect.objectContaining({ request_id: expect.any(String), method: expect.any(String), duration_ms: expect.any(Number) }));
    }
    if (name === 'token-service') {
      const tokenLines = access.filter((entry) => entry.route === '/oauth2/token');
      expect(tokenLines.length).toBeGreaterThan(15);
      expect(tokenLines.some((entry) => typeof entry.client_id === 'string')).toBe(true);
    }
  }
});

it('the request ids come without async context tracking: no AsyncLocalStorage or async_hooks hook in any service', () => {
  // A request context in an AsyncLocalStorage would turn on promise hooks for every promise
  // of the process (~16 KB per token request on Node 20); the request is named explicitly.
  for (const { name, service } of processes()) {
    expect({ name, watching: service.process.output().includes(PROBE_WATCHING) }).toEqual({ name, watching: true });
    expect({ name, tracked: service.process.output().includes(PROBE_TRACKED) }).toEqual({ name, tracked: false });
  }
});
