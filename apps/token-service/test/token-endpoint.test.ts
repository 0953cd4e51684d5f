/**
 * POST /oauth2/token end to end: the built issuer-registry registers issuers and clients
 * through its admin API; the built token-service answers over HTTP; real keys (jose),
 * the real Postgres and Redis. RFC 7523 §3's rules as tables of cases with the
 * exact status and `error` code, for grants and for client assertions.
 */
import { randomUUID } from 'node:crypto';
import { createLocalJWKSet, decodeJwt, jwtVerify, type JWTPayload } from 'jose';
import {
  assertionClaims,
  CLIENT_ASSERTION_TYPE,
  eventually,
  generatePartyKey,
  jwksOf,
  JWT_BEARER_GRANT,
  nowSeconds,
  signAssertion,
  startLoopbackIdp,
  unsecuredJwt,
  type CreatedClient,
  type PartyKey,
  basicAuthorization,
  postForm,
  PROBE_TRACKED,
  PROBE_WATCHING,
  promiseHookProbeEnv,
  type TokenAnswer,
} from '@trust-broker/testing';
import type { TokenServiceInstance } from './support/broker-environment';
import { withBrokenAuditStreams } from './support/broken-audit-streams';
import { useBroker } from './support/use-broker';

const OPEN_ISS = 'https://idp-open.example';
const STRICT_ISS = 'https://idp-strict.example';
const AUTH_ISS = 'https://idp-require-auth.example';
const LISTED_ISS = 'https://idp-allow-list.example';
const OTHER_ISS = 'https://idp-other.example';
const API = 'https://api.example';
const OTHER_API = 'https://other-api.example';

// The probe says on stderr whether the service's promises are tracked by async hooks (last test).
const broker = useBroker('tokenep', { tokenServiceEnv: promiseHookProbeEnv() });
let issuerKey: PartyKey;
let otherIssuerKey: PartyKey;
let clientKey: PartyKey;
let reuseClientKey: PartyKey;
let pkjClient: CreatedClient;
let reuseClient: CreatedClient;
let hmacClient: CreatedClient;
let basicClient: CreatedClient;
let postClient: CreatedClient;
let publicClient: CreatedClient;

const grant = (claims: Partial<Record<string, unknown>> = {}, iss = OPEN_ISS): JWTPayload =>
  assertionClaims({ iss, sub: 'alice', aud: broker.issuer }, claims);
const clientClaims = (clientId: string, claims: Partial<Record<string, unknown>> = {}): JWTPayload =>
  assertionClaims({ iss: clientId, sub: clientId, aud: broker.issuer }, claims);

function exchange(assertion: string, extra: Record<string, string> = {}, headers: Record<string, string> = {}): Promise<TokenAnswer> {
  return postForm(broker.tokenEndpoint, { grant_type: JWT_BEARER_GRANT, assertion, ...extra }, headers);
}

async function clientCredentialsWithAssertion(clientAssertion: string, extra: Record<string, string> = {}): Promise<TokenAnswer> {
  return postForm(broker.tokenEndpoint, {
    grant_type: 'client_credentials',
    client_assertion_type: CLIENT_ASSERTION_TYPE,
    client_assertion: clientAssertion,
    ...extra,
  });
}

async function verifyAccessToken(token: string): Promise<JWTPayload> {
  const jwks = (await (await fetch(`${broker.url}/.well-known/jwks.json`)).json()) as { keys: [] };
  const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks), { issuer: broker.issuer, typ: 'at+jwt' });
  expect(protectedHeader.typ).toBe('at+jwt');
  return payload;
}

beforeAll(async () => {
  [issuerKey, otherIssuerKey, clientKey, reuseClientKey] = await Promise.all([
    generatePartyKey('ES256', 'issuer-key-1'),
    generatePartyKey('ES256', 'other-issuer-key'),
    generatePartyKey('ES256', 'client-key-1'),
    generatePartyKey('ES256', 'reuse-client-key'),
  ]);
  await broker.admin.createIssuer({
    issuer: OPEN_ISS,
    jwks: jwksOf(issuerKey),
    subjects: ['*'],
    allowed_algorithms: ['ES256'],
    allowed_scopes: ['read', 'write'],
    audiences: [API, OTHER_API],
  });
  await broker.admin.createIssuer({
    issuer: STRICT_ISS,
    jwks: jwksOf(issuerKey),
    subjects: ['alice', 'bob'],
    condition: "claims.tenant == 'acme'",
    claim_mappings: { email: 'claims.email' },
    allowed_scopes: ['read'],
  });
  await broker.admin.createIssuer({ issuer: OTHER_ISS, jwks: jwksOf(otherIssuerKey), subjects: ['*'], allowed_scopes: ['read'] });
  pkjClient = await broker.admin.createClient({
    client_name: 'pkj',
    token_endpoint_auth_method: 'private_key_jwt',
    jwks: jwksOf(clientKey),
    grant_types: [JWT_BEARER_GRANT, 'client_credentials'],
    scope: 'read write',
  });
  reuseClient = await broker.admin.createClient({
    client_name: 'reuse',
    token_endpoint_auth_method: 'private_key_jwt',
    jwks: jwksOf(reuseClientKey),
    client_assertion_reuse: true,
    client_assertion_max_lifetime_s: 3600,
    grant_types: ['client_credentials'],
    scope: 'read',
  });
  hmacClient = await broker.admin.createClient({ token_endpoint_auth_method: 'client_secret_jwt', grant_types: ['client_credentials'], scope: 'read' });
  basicClient = await broker.admin.createClient({
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['client_credentials', JWT_BEARER_GRANT],
    scope: 'read',
  });
  publicClient = await broker.admin.createClient({ token_endpoint_auth_method: 'none', grant_types: [JWT_BEARER_GRANT], scope: 'read' });
  await broker.admin.createIssuer({ issuer: AUTH_ISS, jwks: jwksOf(issuerKey), subjects: ['*'], require_client_auth: true, allowed_scopes: ['read'] });
  await broker.admin.createIssuer({
    issuer: LISTED_ISS,
    jwks: jwksOf(issuerKey),
    subjects: ['*'],
    allowed_client_ids: [pkjClient.client_id],
    allowed_scopes: ['read'],
  });
  postClient = await broker.admin.createClient({ token_endpoint_auth_method: 'client_secret_post', grant_types: ['client_credentials'], scope: 'read' });
  // The registry relays changes in commit order: once the last one works, all are cached.
  await eventually(async () => {
    const answer = await postForm(broker.tokenEndpoint, { grant_type: 'client_credentials', client_id: postClient.client_id, client_secret: postClient.client_secret! });
    return answer.status === 200;
  }, 20_000);
});

describe('jwt-bearer grant: RFC 7523 §3 rules at the HTTP level', () => {
  const cases: [string, () => Promise<string>, number, string | undefined][] = [
    ['a valid assertion', () => signAssertion(issuerKey, grant()), 200, undefined],
    ['aud as an array holding the token endpoint URL', () => signAssertion(issuerKey, grant({ aud: ['https://x.example', broker.tokenEndpoint] })), 200, undefined],
    ['exp passed but within the clock skew', () => signAssertion(issuerKey, grant({ iat: nowSeconds() - 70, exp: nowSeconds() - 10 })), 200, undefined],
    ['no kid: tried against the keys that fit alg', () => signAssertion(issuerKey, grant(), { kid: undefined }), 200, undefined],
    ['no iss (§3 rule 1)', () => signAssertion(issuerKey, grant({ iss: undefined })), 400, 'invalid_grant'],
    ['an unknown iss', () => signAssertion(issuerKey, grant({}, 'https://unknown.example')), 400, 'invalid_grant'],
    ['an iss that differs by a trailing slash', () => signAssertion(issuerKey, grant({}, `${OPEN_ISS}/`)), 400, 'invalid_grant'],
    ['no sub (§3 rule 2)', () => signAssertion(issuerKey, grant({ sub: undefined })), 400, 'invalid_grant'],
    ['a sub the issuer does not accept', () => signAssertion(issuerKey, grant({ sub: 'mallory', tenant: 'acme' }, STRICT_ISS)), 400, 'invalid_grant'],
    ['no aud (§3 rule 3)', () => signAssertion(issuerKey, grant({ aud: undefined })), 400, 'invalid_grant'],
    ['an aud naming another server', () => signAssertion(issuerKey, grant({ aud: 'https://elsewhere.example' })), 400, 'invalid_grant'],
    ['no exp (§3 rule 4)', () => signAssertion(issuerKey, grant({ exp: undefined })), 400, 'invalid_grant'],
    ['expired beyond the clock skew', () => signAssertion(issuerKey, grant({ iat: nowSeconds() - 200, exp: nowSeconds() - 60 })), 400, 'invalid_grant'],
    ['nbf in the future (§3 rule 5)', () => signAssertion(issuerKey, grant({ nbf: nowSeconds() + 120 })), 400, 'invalid_grant'],
    ['iat in the future (§3 rule 6)', () => signAssertion(issuerKey, grant({ iat: nowSeconds() + 120, exp: nowSeconds() + 180 })), 400, 'invalid_grant'],
    ['a lifetime over max_assertion_lifetime_s', () => signAssertion(issuerKey, grant({ exp: nowSeconds() + 3600 })), 400, 'invalid_grant'],
    ['no jti while the issuer requires one (§3 rule 7)', () => signAssertion(issuerKey, grant({ jti: undefined })), 400, 'invalid_grant'],
    [
      'a signature by another key under the registered kid (§3 rule 9)',
      async () => signAssertion({ ...(await generatePartyKey('ES256')), kid: issuerKey.kid }, grant()),
      400,
      'invalid_grant',
    ],
    ['a kid of another issuer', () => signAssertion(otherIssuerKey, grant()), 400, 'invalid_grant'],
    ['alg none', async () => unsecuredJwt(grant()), 400, 'invalid_grant'],
    ['alg NoNe', async () => unsecuredJwt(grant(), 'NoNe'), 400, 'invalid_grant'],
    ['an alg outside allowed_algorithms', async () => signAssertion({ ...(await generatePartyKey('RS256')), kid: issuerKey.kid }, grant()), 400, 'invalid_grant'],
    [
      'HS256 signed with the public key as the secret',
      async () => signAssertion({ secret: new TextEncoder().encode(JSON.stringify(issuerKey.publicJwk)), alg: 'HS256' }, grant(), { kid: issuerKey.kid }),
      400,
      'invalid_grant',
    ],
    [
      "an embedded jwk header with the attacker's key",
      async () => {
        const attacker = await generatePartyKey('ES256', issuerKey.kid);
        return signAssertion(attacker, grant(), { jwk: attacker.publicJwk as never });
      },
      400,
      'invalid_grant',
    ],
    ['typ at+jwt (an access token passed off as an assertion)', () => signAssertion(issuerKey, grant(), { typ: 'at+jwt' }), 400, 'invalid_grant'],
    ['typ client-authentication+jwt (a client assertion passed off as a grant)', () => signAssertion(issuerKey, grant(), { typ: 'client-authentication+jwt' }), 400, 'invalid_grant'],
    ['typ dpop+jwt (a DPoP proof passed off as an assertion)', () => signAssertion(issuerKey, grant(), { typ: 'dpop+jwt' }), 400, 'invalid_grant'],
    [
      'an unknown crit header',
      () => signAssertion(issuerKey, grant(), { crit: ['x-unknown'], 'x-unknown': 1 } as never, { crit: { 'x-unknown': true } }),
      400,
      'invalid_grant',
    ],
    ['a CEL condition that is false', () => signAssertion(issuerKey, grant({ tenant: 'evil' }, STRICT_ISS)), 400, 'invalid_grant'],
    ['not a JWT', async () => 'not-a-jwt', 400, 'invalid_grant'],
    ['a JWE-shaped (five-part) token', async () => 'a.b.c.d.e', 400, 'invalid_grant'],
    ['an assertion over 16,384 bytes', () => signAssertion(issuerKey, grant({ padding: 'x'.repeat(17_000) })), 400, 'invalid_request'],
  ];

  it.each(cases.map(([label, build, status, error]) => [label, status, error, build] as const))('%s → %i %s', async (_label, status, error, build) => {
    const answer = await exchange(await build());
    expect({ status: answer.status, error: answer.body.error }).toEqual({ status, error });
    if (status === 200) expect(typeof answer.body.access_token).toBe('string');
  });

  it('accepts a jti once: the same assertion again is invalid_grant', async () => {
    const assertion = await signAssertion(issuerKey, grant());
    expect((await exchange(assertion)).status).toBe(200);
    const replay = await exchange(assertion);
    expect({ status: replay.status, error: replay.body.error }).toEqual({ status: 400, error: 'invalid_grant' });
  });

  it('does not use up the jti of an assertion refused for its scope', async () => {
    const assertion = await signAssertion(issuerKey, grant());
    expect((await exchange(assertion, { scope: 'admin' })).body.error).toBe('invalid_scope');
    expect((await exchange(assertion, { scope: 'read' })).status).toBe(200);
  });

  it('issues an RFC 9068 token: claims per CONTRACT.md, verified with the broker JWKS, no-store', async () => {
    const answer = await exchange(await signAssertion(issuerKey, grant()));
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.headers.get('pragma')).toBe('no-cache');
    expect(answer.body).toMatchObject({ token_type: 'Bearer', expires_in: 600, scope: 'read write' });
    const claims = await verifyAccessToken(answer.body.access_token as string);
    expect(claims).toMatchObject({ iss: broker.issuer, sub: 'alice', aud: [API, OTHER_API], scope: 'read write', idp: OPEN_ISS });
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(claims.exp! - claims.iat!).toBe(600);
    expect(claims.client_id).toBeUndefined();
  });

  it('narrows aud to the requested resource, and the scope to the request', async () => {
    const answer = await exchange(await signAssertion(issuerKey, grant()), { resource: OTHER_API, scope: 'read' });
    expect(answer.status).toBe(200);
    expect(decodeJwt(answer.body.access_token as string)).toMatchObject({ aud: OTHER_API, scope: 'read' });
  });

  it('adds claim_mappings and keeps the assertion subject', async () => {
    const answer = await exchange(await signAssertion(issuerKey, grant({ tenant: 'acme', email: 'alice@acme.example' }, STRICT_ISS)));
    expect(answer.status).toBe(200);
    expect(decodeJwt(answer.body.access_token as string)).toMatchObject({ sub: 'alice', email: 'alice@acme.example', aud: broker.issuer, scope: 'read' });
  });
});

describe('client assertions (private_key_jwt, client_secret_jwt): RFC 7523 §3 rules at the HTTP level', () => {
  const pkj = (claims: Partial<Record<string, unknown>> = {}, header = {}) => signAssertion(clientKey, clientClaims(pkjClient.client_id, claims), header);
  const cases: [string, () => Promise<string>, Record<string, string>, number, string | undefined][] = [
    ['a valid client assertion', () => pkj(), {}, 200, undefined],
    ['aud as a one-element array', () => pkj({ aud: [broker.issuer] }), {}, 200, undefined],
    ['a matching client_id parameter', () => pkj(), { client_id: 'PLACEHOLDER_SELF' }, 200, undefined],
    ['aud = the token endpoint URL (compatibility off)', () => pkj({ aud: broker.tokenEndpoint }), {}, 401, 'invalid_client'],
    ['aud with two values (rfc7523bis)', () => pkj({ aud: [broker.issuer, broker.tokenEndpoint] }), {}, 401, 'invalid_client'],
    ['aud naming another server', () => pkj({ aud: 'https://elsewhere.example' }), {}, 401, 'invalid_client'],
    ['no aud', () => pkj({ aud: undefined }), {}, 401, 'invalid_client'],
    ['iss different from sub', () => pkj({ iss: 'someone-else' }), {}, 401, 'invalid_client'],
    ['sub naming another client', () => pkj({ sub: basicClient.client_id }), {}, 401, 'invalid_client'],
    ['a client_id parameter different from sub', () => pkj(), { client_id: 'PLACEHOLDER_OTHER' }, 401, 'invalid_client'],
    ['no jti (single-use client)', () => pkj({ jti: undefined }), {}, 401, 'invalid_client'],
    ['no exp', () => pkj({ exp: undefined }), {}, 401, 'invalid_client'],
    ['expired beyond the skew', () => pkj({ iat: nowSeconds() - 300, exp: nowSeconds() - 120 }), {}, 401, 'invalid_client'],
    ['nbf in the future', () => pkj({ nbf: nowSeconds() + 300 }), {}, 401, 'invalid_client'],
    ['a lifetime over client_assertion_max_lifetime_s', () => pkj({ exp: nowSeconds() + 3600 }), {}, 401, 'invalid_client'],
    ['a signature by an unregistered key', async () => signAssertion({ ...(await generatePartyKey('ES256')), kid: clientKey.kid }, clientClaims(pkjClient.client_id)), {}, 401, 'invalid_client'],
    ['alg none', async () => unsecuredJwt(clientClaims(pkjClient.client_id)), {}, 401, 'invalid_client'],
    ['typ at+jwt', () => pkj({}, { typ: 'at+jwt' }), {}, 401, 'invalid_client'],
    ['typ client-authentication+jwt (rfc7523bis explicit typing)', () => pkj({}, { typ: 'client-authentication+jwt' }), {}, 200, undefined],
    ['typ logout+jwt', () => pkj({}, { typ: 'logout+jwt' }), {}, 401, 'invalid_client'],
    ['an unknown client', async () => signAssertion(clientKey, clientClaims('no-such-client')), {}, 401, 'invalid_client'],
    ['an assertion over 16,384 bytes', () => pkj({ padding: 'x'.repeat(17_000) }), {}, 400, 'invalid_request'],
  ];

  it.each(cases.map(([label, build, extra, status, error]) => [label, status, error, build, extra] as const))('%s → %i %s', async (_label, status, error, build, extra) => {
    const parameters = Object.fromEntries(
      Object.entries(extra).map(([name, value]) => [
        name,
        value === 'PLACEHOLDER_SELF' ? pkjClient.client_id : value === 'PLACEHOLDER_OTHER' ? basicClient.client_id : value,
      ]),
    );
    const answer = await clientCredentialsWithAssertion(await build(), parameters);
    expect({ status: answer.status, error: answer.body.error }).toEqual({ status, error });
  });

  it('accepts a single-use client assertion once', async () => {
    const assertion = await pkj();
    expect((await clientCredentialsWithAssertion(assertion)).status).toBe(200);
    const replay = await clientCredentialsWithAssertion(assertion);
    expect({ status: replay.status, error: replay.body.error }).toEqual({ status: 401, error: 'invalid_client' });
  });

  it('lets a reuse client present a long-lived assertion again, until an admin revokes its jti', async () => {
    const assertion = await signAssertion(reuseClientKey, clientClaims(reuseClient.client_id, { exp: nowSeconds() + 1800 }));
    expect((await clientCredentialsWithAssertion(assertion)).status).toBe(200);
    expect((await clientCredentialsWithAssertion(assertion)).status).toBe(200);
    await broker.admin.revokeClientAssertion(reuseClient.client_id, { jti: decodeJwt(assertion).jti! });
    await eventually(async () => (await clientCredentialsWithAssertion(assertion)).status === 401, 10_000);
    const refused = await clientCredentialsWithAssertion(assertion);
    expect({ status: refused.status, error: refused.body.error }).toEqual({ status: 401, error: 'invalid_client' });
  });

  it('verifies client_secret_jwt (HS256) with the client secret, and refuses another secret', async () => {
    const secret = new TextEncoder().encode(hmacClient.client_secret!);
    const good = await signAssertion({ secret, alg: 'HS256' }, clientClaims(hmacClient.client_id));
    expect((await clientCredentialsWithAssertion(good)).status).toBe(200);
    const forged = await signAssertion({ secret: new TextEncoder().encode('x'.repeat(43)), alg: 'HS256' }, clientClaims(hmacClient.client_id));
    const answer = await clientCredentialsWithAssertion(forged);
    expect({ status: answer.status, error: answer.body.error }).toEqual({ status: 401, error: 'invalid_client' });
  });

  it('takes both uses in one request: a client assertion and a grant assertion', async () => {
    const answer = await postForm(broker.tokenEndpoint, {
      grant_type: JWT_BEARER_GRANT,
      assertion: await signAssertion(issuerKey, grant({}, LISTED_ISS)),
      client_assertion_type: CLIENT_ASSERTION_TYPE,
      client_assertion: await pkj(),
    });
    expect(answer.status).toBe(200);
    const claims = await verifyAccessToken(answer.body.access_token as string);
    expect(claims).toMatchObject({ sub: 'alice', client_id: pkjClient.client_id, idp: LISTED_ISS, scope: 'read' });
  });
});

describe('a jti is used up only by a request that answers with a token', () => {
  const both = (assertion: string, clientAssertion: string, scope: string) =>
    postForm(broker.tokenEndpoint, { grant_type: JWT_BEARER_GRANT, assertion, scope, client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: clientAssertion });

  it('a client assertion sent with a grant that is refused can be sent again; after the token, both are used up', async () => {
    const assertion = await signAssertion(issuerKey, grant({}, LISTED_ISS));
    const clientAssertion = await signAssertion(clientKey, clientClaims(pkjClient.client_id));
    const refused = await both(assertion, clientAssertion, 'admin');
    expect({ status: refused.status, error: refused.body.error }).toEqual({ status: 400, error: 'invalid_scope' });
    expect((await both(assertion, clientAssertion, 'read')).status).toBe(200);
    const replayed = await both(assertion, clientAssertion, 'read');
    expect({ status: replayed.status, error: replayed.body.error }).toEqual({ status: 401, error: 'invalid_client' });
    const newClientAssertion = await signAssertion(clientKey, clientClaims(pkjClient.client_id));
    const grantReplayed = await both(assertion, newClientAssertion, 'read');
    expect({ status: grantReplayed.status, error: grantReplayed.body.error }).toEqual({ status: 400, error: 'invalid_grant' });
  });

  it('503 when the audit event cannot be appended, and the same assertions are accepted once it can', async () => {
    // XADD fails in the script that would also record the grant's jti: nothing of it is written.
    const assertion = await signAssertion(issuerKey, grant({}, LISTED_ISS));
    const clientAssertion = await signAssertion(clientKey, clientClaims(pkjClient.client_id));
    await withBrokenAuditStreams(broker.env.redis.url, broker.env.redis.prefix, async () => {
      const unavailable = await both(assertion, clientAssertion, 'read');
      expect({ status: unavailable.status, error: unavailable.body.error }).toEqual({ status: 503, error: 'temporarily_unavailable' });
      expect(unavailable.body.access_token).toBeUndefined();
    });
    const retried = await both(assertion, clientAssertion, 'read');
    expect(retried.status).toBe(200);
    expect((await both(assertion, clientAssertion, 'read')).status).toBe(401);
  });
});

describe('other client authentication methods and client_credentials', () => {
  it('client_secret_basic: a token for the client itself, aud = the broker', async () => {
    const answer = await postForm(broker.tokenEndpoint, { grant_type: 'client_credentials' }, { authorization: basicAuthorization(basicClient.client_id, basicClient.client_secret!) });
    expect(answer.status).toBe(200);
    const claims = await verifyAccessToken(answer.body.access_token as string);
    expect(claims).toMatchObject({ sub: basicClient.client_id, client_id: basicClient.client_id, aud: broker.issuer, scope: 'read' });
    expect(claims.idp).toBeUndefined();
  });

  it('client_secret_basic with a wrong secret: 401 with a Basic challenge', async () => {
    const answer = await postForm(broker.tokenEndpoint, { grant_type: 'client_credentials' }, { authorization: basicAuthorization(basicClient.client_id, 'wrong') });
    expect({ status: answer.status, error: answer.body.error }).toEqual({ status: 401, error: 'invalid_client' });
    expect(answer.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
  });

  it('client_secret_post with a wrong secret, or the right secret by the wrong method: 401', async () => {
    const wrong = await postForm(broker.tokenEndpoint, { grant_type: 'client_credentials', client_id: postClient.client_id, client_secret: 'wrong' });
    expect({ status: wrong.status, error: wrong.body.error }).toEqual({ status: 401, error: 'invalid_client' });
    const wrongMethod = await postForm(broker.tokenEndpoint, { grant_type: 'client_credentials', client_id: basicClient.client_id, client_secret: basicClient.client_secret! });
    expect({ status: wrongMethod.status, error: wrongMethod.body.error }).toEqual({ status: 401, error: 'invalid_client' });
  });

  it('a public client (none) presents a grant: client_id in the token, scope narrowed to the client', async () => {
    const answer = await exchange(await signAssertion(issuerKey, grant()), { client_id: publicClient.client_id });
    expect(answer.status).toBe(200);
    expect(decodeJwt(answer.body.access_token as string)).toMatchObject({ client_id: publicClient.client_id, scope: 'read' });
  });
});

describe('CONTRACT.md error cases', () => {
  const form = (parameters: Record<string, string>) => new URLSearchParams(parameters).toString();
  const cases: [string, () => Promise<TokenAnswer>, number, string][] = [
    ['a repeated parameter', async () => postForm(broker.tokenEndpoint, `grant_type=client_credentials&scope=read&scope=write`), 400, 'invalid_request'],
    [
      'two client authentication methods (Basic and client_secret_post)',
      async () =>
        postForm(
          broker.tokenEndpoint,
          { grant_type: 'client_credentials', client_id: postClient.client_id, client_secret: postClient.client_secret! },
          { authorization: basicAuthorization(basicClient.client_id, basicClient.client_secret!) },
        ),
      400,
      'invalid_request',
    ],
    [
      'two client authentication methods (client_secret_post and a client assertion)',
      async () =>
        postForm(broker.tokenEndpoint, {
          grant_type: 'client_credentials',
          client_id: pkjClient.client_id,
          client_secret: 'x',
          client_assertion_type: CLIENT_ASSERTION_TYPE,
          client_assertion: await signAssertion(clientKey, clientClaims(pkjClient.client_id)),
        }),
      400,
      'invalid_request',
    ],
    ['client_assertion_type without client_assertion', async () => postForm(broker.tokenEndpoint, { grant_type: 'client_credentials', client_assertion_type: CLIENT_ASSERTION_TYPE }), 400, 'invalid_request'],
    [
      'client_assertion without client_assertion_type',
      async () => postForm(broker.tokenEndpoint, { grant_type: 'client_credentials', client_assertion: await signAssertion(clientKey, clientClaims(pkjClient.client_id)) }),
      400,
      'invalid_request',
    ],
    [
      'an unknown client_assertion_type',
      async () =>
        postForm(broker.tokenEndpoint, {
          grant_type: 'client_credentials',
          client_assertion_type: 'urn:example:saml',
          client_assertion: await signAssertion(clientKey, clientClaims(pkjClient.client_id)),
        }),
      400,
      'invalid_request',
    ],
    ['no grant_type', async () => postForm(broker.tokenEndpoint, { scope: 'read' }), 400, 'invalid_request'],
    ['an empty grant_type (empty counts as absent)', async () => postForm(broker.tokenEndpoint, 'grant_type='), 400, 'invalid_request'],
    ['an unsupported grant_type', async () => postForm(broker.tokenEndpoint, { grant_type: 'password', username: 'a', password: 'b' }), 400, 'unsupported_grant_type'],
    ['jwt-bearer without assertion', async () => postForm(broker.tokenEndpoint, { grant_type: JWT_BEARER_GRANT }), 400, 'invalid_request'],
    [
      'a client whose grant_types lack the grant',
      async () =>
        postForm(broker.tokenEndpoint, {
          grant_type: JWT_BEARER_GRANT,
          assertion: await signAssertion(issuerKey, grant()),
          client_id: postClient.client_id,
          client_secret: postClient.client_secret!,
        }),
      400,
      'unauthorized_client',
    ],
    ['a scope outside the issuer allowed_scopes', async () => exchange(await signAssertion(issuerKey, grant()), { scope: 'read admin' }), 400, 'invalid_scope'],
    [
      'a scope the issuer allows but the client does not',
      async () => exchange(await signAssertion(issuerKey, grant()), { scope: 'write', client_id: publicClient.client_id }),
      400,
      'invalid_scope',
    ],
    ['a client_credentials scope outside the client scope', async () => postForm(broker.tokenEndpoint, { grant_type: 'client_credentials', scope: 'write', client_id: postClient.client_id, client_secret: postClient.client_secret! }), 400, 'invalid_scope'],
    ['a resource the issuer audiences do not allow', async () => exchange(await signAssertion(issuerKey, grant()), { resource: 'https://evil.example' }), 400, 'invalid_target'],
    ['an audience the issuer audiences do not allow', async () => exchange(await signAssertion(issuerKey, grant()), { audience: 'https://evil.example' }), 400, 'invalid_target'],
    ['a resource that is not an absolute URI', async () => exchange(await signAssertion(issuerKey, grant()), { resource: 'not a uri' }), 400, 'invalid_target'],
    ['require_client_auth and no client', async () => exchange(await signAssertion(issuerKey, grant({}, AUTH_ISS))), 401, 'invalid_client'],
    [
      'require_client_auth and a public client (none counts as none)',
      async () => exchange(await signAssertion(issuerKey, grant({}, AUTH_ISS)), { client_id: publicClient.client_id }),
      401,
      'invalid_client',
    ],
    ['allowed_client_ids and no client', async () => exchange(await signAssertion(issuerKey, grant({}, LISTED_ISS))), 401, 'invalid_client'],
    [
      'allowed_client_ids and a client not listed',
      async () =>
        exchange(await signAssertion(issuerKey, grant({}, LISTED_ISS)), {}, { authorization: basicAuthorization(basicClient.client_id, basicClient.client_secret!) }),
      400,
      'invalid_grant',
    ],
    ['client_credentials without client authentication', async () => postForm(broker.tokenEndpoint, { grant_type: 'client_credentials' }), 401, 'invalid_client'],
    ['client_credentials for a public client', async () => postForm(broker.tokenEndpoint, { grant_type: 'client_credentials', client_id: publicClient.client_id }), 401, 'invalid_client'],
    ['an unknown client_id alone', async () => postForm(broker.tokenEndpoint, { grant_type: 'client_credentials', client_id: 'nobody' }), 401, 'invalid_client'],
    [
      'a JSON body instead of a form',
      async () => {
        const response = await fetch(broker.tokenEndpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ grant_type: 'client_credentials' }) });
        return { status: response.status, body: (await response.json()) as Record<string, unknown>, headers: response.headers };
      },
      400,
      'invalid_request',
    ],
    [
      'a text/plain body',
      async () => {
        const response = await fetch(broker.tokenEndpoint, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: form({ grant_type: 'client_credentials' }) });
        return { status: response.status, body: (await response.json()) as Record<string, unknown>, headers: response.headers };
      },
      400,
      'invalid_request',
    ],
    ['malformed Basic credentials', async () => postForm(broker.tokenEndpoint, { grant_type: 'client_credentials' }, { authorization: 'Basic !!!' }), 401, 'invalid_client'],
  ];

  it.each(cases.map(([label, send, status, error]) => [label, status, error, send] as const))('%s → %i %s', async (_label, status, error, send) => {
    const answer = await send();
    expect({ status: answer.status, error: answer.body.error }).toEqual({ status, error });
    expect(typeof answer.body.error_description).toBe('string');
  });

  it.each(['GET', 'PUT', 'PATCH', 'DELETE'])('answers %s with 405 invalid_request', async (method) => {
    const response = await fetch(broker.tokenEndpoint, { method });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
    expect(await response.json()).toEqual({ error: 'invalid_request', error_description: 'this endpoint takes POST with a form body only' });
  });

  it('answers HEAD with 405 and Allow: POST (no body)', async () => {
    const response = await fetch(broker.tokenEndpoint, { method: 'HEAD' });
    expect([response.status, response.headers.get('allow')]).toEqual([405, 'POST']);
  });

  it('answers 413 to a body over 1,048,576 bytes', async () => {
    const answer = await postForm(broker.tokenEndpoint, `grant_type=client_credentials&pad=${'x'.repeat(1_048_600)}`);
    expect(answer.status).toBe(413);
  });

  it('never answers 5xx to garbage forms', async () => {
    const garbage = [
      'grant_type=%ZZ',
      '=&=&=',
      `grant_type=${JWT_BEARER_GRANT}&assertion=${'eyJ'.repeat(50)}.e30.`,
      `grant_type=${JWT_BEARER_GRANT}&assertion=${Buffer.from('{"alg":"ES256"}').toString('base64url')}.${Buffer.from('[1,2]').toString('base64url')}.AA`,
      `grant_type=${JWT_BEARER_GRANT}&assertion=${Buffer.from('{"alg":"ES256","kid":{"a":1}}').toString('base64url')}.${Buffer.from('{"iss":["a"],"exp":"soon"}').toString('base64url')}.AA`,
      'grant_type=client_credentials&client_id=%00%01',
      'grant_type=\u00e9\u{1F600}&scope=\u0000',
      '__proto__=x&constructor=y&grant_type=client_credentials',
    ];
    for (const body of garbage) {
      const answer = await postForm(broker.tokenEndpoint, body);
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(answer.status).toBeLessThan(500);
    }
  });
});

describe('replay across concurrent requests', () => {
  it('issues exactly one token for the same assertion sent 50 times at once', async () => {
    const assertion = await signAssertion(issuerKey, grant());
    const answers = await Promise.all(Array.from({ length: 50 }, () => exchange(assertion)));
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(answers.filter((answer) => answer.status === 400 && answer.body.error === 'invalid_grant')).toHaveLength(49);
  });
});

describe('audit events', () => {
  it('enqueues exactly one event per request, with identifiers only', async () => {
    const successId = `req-${randomUUID()}`;
    const failureId = `req-${randomUUID()}`;
    const assertion = await signAssertion(issuerKey, grant());
    const clientAssertion = await signAssertion(clientKey, clientClaims(pkjClient.client_id));
    const ok = await postForm(
      broker.tokenEndpoint,
      { grant_type: JWT_BEARER_GRANT, assertion, client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: clientAssertion, scope: 'read' },
      { 'x-request-id': successId },
    );
    expect(ok.status).toBe(200);
    const refused = await exchange(assertion, {}, { 'x-request-id': failureId });
    expect(refused.status).toBe(400);

    const [success] = await eventually(async () => {
      const found = await broker.audit.byRequestId(successId);
      return found.length > 0 ? found : undefined;
    });
    const failures = await broker.audit.byRequestId(failureId);
    expect(await broker.audit.byRequestId(successId)).toHaveLength(1);
    expect(failures).toHaveLength(1);
    expect(success).toMatchObject({
      type: 'token',
      outcome: 'success',
      issuer: OPEN_ISS,
      client_id: pkjClient.client_id,
      subject: 'alice',
      kid: issuerKey.kid,
      client_kid: clientKey.kid,
      scope: 'read',
      grant_type: JWT_BEARER_GRANT,
      actor: `client:${pkjClient.client_id}`,
      reason: null,
    });
    expect(success!.jti_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(failures[0]).toMatchObject({ outcome: 'failure', reason: 'jti_replayed', error: 'invalid_grant', actor: 'anonymous', issuer: OPEN_ISS });

    const wrongSecretId = `req-${randomUUID()}`;
    await postForm(broker.tokenEndpoint, { grant_type: 'client_credentials', client_id: postClient.client_id, client_secret: 'wrong' }, { 'x-request-id': wrongSecretId });
    const [wrongSecret] = await eventually(async () => {
      const found = await broker.audit.byRequestId(wrongSecretId);
      return found.length > 0 ? found : undefined;
    });
    // The claimed client is named; the actor is not, as it did not authenticate.
    expect(wrongSecret).toMatchObject({ outcome: 'failure', reason: 'secret_mismatch', error: 'invalid_client', client_id: postClient.client_id, actor: 'anonymous' });
    expect(JSON.stringify(wrongSecret)).not.toContain(postClient.client_secret!);
    const everything = JSON.stringify(await broker.audit.events());
    for (const secret of [assertion, clientAssertion, ok.body.access_token as string]) {
      expect(everything).not.toContain(secret.split('.')[2]);
    }
    expect(everything).not.toContain(String(decodeJwt(assertion).jti));
  });
});

describe('metrics', () => {
  it('counts token requests by grant type and outcome at /metrics', async () => {
    const text = await (await fetch(`${broker.url}/metrics`)).text();
    expect(text).toMatch(/token_requests_total\{grant_type="client_credentials",outcome="success",error=""\} [1-9]/);
    expect(text).toMatch(/token_requests_total\{grant_type="urn:ietf:params:oauth:grant-type:jwt-bearer",outcome="failure",error="invalid_grant"\} [1-9]/);
  });
});

describe('no async context tracking in the token service', () => {
  it('serves grants, refusals and 5xx-free garbage without an AsyncLocalStorage or async_hooks hook', async () => {
    // The requests of the tests above, and one of each outcome here: an AsyncLocalStorage (a
    // request context) would turn on promise hooks for every promise, ~16 KB per grant.
    const assertion = await signAssertion(issuerKey, grant());
    expect((await exchange(assertion)).status).toBe(200);
    expect((await exchange(assertion)).body.error).toBe('invalid_grant');
    expect((await postForm(broker.tokenEndpoint, { grant_type: 'nonsense' })).status).toBe(400);
    // The probe looks every 100 ms.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(broker.process.output()).toContain(PROBE_WATCHING);
    expect(broker.process.output()).not.toContain(PROBE_TRACKED);
  });
});

describe('audit events of requests refused before the pipeline', () => {
  it.each([
    ['a body over the limit', `grant_type=client_credentials&pad=${'x'.repeat(1_048_600)}`, 'application/x-www-form-urlencoded', 413, 'body_too_large'],
    ['an unsupported content type', 'grant_type=client_credentials', 'application/xml', 400, 'malformed_request'],
  ])('audits %s once', async (_label, body, contentType, status, reason) => {
    const requestId = `req-${randomUUID()}`;
    const response = await fetch(broker.tokenEndpoint, { method: 'POST', headers: { 'content-type': contentType, 'x-request-id': requestId }, body });
    expect(response.status).toBe(status);
    const events = await eventually(async () => {
      const found = await broker.audit.byRequestId(requestId);
      return found.length > 0 ? found : undefined;
    });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ outcome: 'failure', reason, error: 'invalid_request', actor: 'anonymous' });
  });
});

describe('trust changes', () => {
  it('refuses a disabled issuer within 2 s', async () => {
    const key = await generatePartyKey('ES256');
    const issuer = await broker.admin.createIssuer({ issuer: 'https://idp-to-disable.example', jwks: jwksOf(key), subjects: ['*'] });
    const assertionFor = () => signAssertion(key, assertionClaims({ iss: issuer.issuer, sub: 'alice', aud: broker.issuer }));
    await eventually(async () => (await exchange(await assertionFor())).status === 200, 10_000);
    await broker.admin.updateIssuer(issuer.id, { status: 'disabled' });
    await eventually(async () => (await exchange(await assertionFor())).body.error === 'invalid_grant', 2000, 50);
  });

  it('accepts a rotated partner key without an admin call (unknown kid → registry refresh)', async () => {
    let served = await generatePartyKey('ES256', 'rotating-1');
    const idp = await startLoopbackIdp();
    idp.serve('/jwks.json', jwksOf(served), 'application/json', 'max-age=3600');
    try {
      const issuer = await broker.admin.createIssuer({ issuer: 'https://idp-rotating.example', jwks_uri: `${idp.url}/jwks.json`, subjects: ['*'] });
      const assertionFor = (key: PartyKey) => signAssertion(key, assertionClaims({ iss: issuer.issuer, sub: 'alice', aud: broker.issuer }));
      await eventually(async () => (await exchange(await assertionFor(served))).status === 200, 15_000, 200);
      served = await generatePartyKey('ES256', 'rotating-2');
      idp.serve('/jwks.json', jwksOf(served), 'application/json', 'max-age=3600');
      // The first request after the rotation triggers the refresh and waits for it.
      await eventually(async () => (await exchange(await assertionFor(served))).status === 200, 15_000, 200);
    } finally {
      await idp.close();
    }
  });

  it('accepts a rotated client key (jwks_uri) without an admin call (unknown kid → registry refresh)', async () => {
    let served = await generatePartyKey('ES256', 'client-rotating-1');
    const idp = await startLoopbackIdp();
    idp.serve('/jwks.json', jwksOf(served), 'application/json', 'max-age=3600');
    try {
      const client = await broker.admin.createClient({ token_endpoint_auth_method: 'private_key_jwt', jwks_uri: `${idp.url}/jwks.json` });
      const assertionFor = (key: PartyKey) => signAssertion(key, clientClaims(client.client_id));
      await eventually(async () => (await clientCredentialsWithAssertion(await assertionFor(served))).status === 200, 15_000, 200);
      served = await generatePartyKey('ES256', 'client-rotating-2');
      idp.serve('/jwks.json', jwksOf(served), 'application/json', 'max-age=3600');
      await eventually(async () => (await clientCredentialsWithAssertion(await assertionFor(served))).status === 200, 15_000, 200);
    } finally {
      await idp.close();
    }
  });
});

describe('trust changes of clients and expiry', () => {
  it('refuses every assertion signed with a kid an admin revoked', async () => {
    const key = await generatePartyKey('ES256');
    const client = await broker.admin.createClient({ token_endpoint_auth_method: 'private_key_jwt', jwks: jwksOf(key), client_assertion_reuse: true });
    const assertion = () => signAssertion(key, clientClaims(client.client_id));
    await eventually(async () => (await clientCredentialsWithAssertion(await assertion())).status === 200, 10_000);
    await broker.admin.revokeClientAssertion(client.client_id, { kid: key.kid });
    await eventually(async () => (await clientCredentialsWithAssertion(await assertion())).status === 401, 2000, 50);
    expect((await clientCredentialsWithAssertion(await assertion())).body.error).toBe('invalid_client');
  });

  it('refuses a disabled client within 2 s', async () => {
    const client = await broker.admin.createClient({ token_endpoint_auth_method: 'client_secret_post' });
    const request = () => postForm(broker.tokenEndpoint, { grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret! });
    await eventually(async () => (await request()).status === 200, 10_000);
    await broker.admin.updateClient(client.client_id, { status: 'disabled' });
    await eventually(async () => (await request()).status === 401, 2000, 50);
  });

  it('refuses an issuer whose expires_at has passed, and serves its unexpired twin', async () => {
    const key = await generatePartyKey('ES256');
    const expired = await broker.admin.createIssuer({ issuer: 'https://idp-expired.example', jwks: jwksOf(key), subjects: ['*'], expires_at: new Date(Date.now() - 60_000).toISOString() });
    const twin = await broker.admin.createIssuer({ issuer: 'https://idp-unexpired.example', jwks: jwksOf(key), subjects: ['*'], expires_at: new Date(Date.now() + 3_600_000).toISOString() });
    const request = async (iss: string) => exchange(await signAssertion(key, assertionClaims({ iss, sub: 'alice', aud: broker.issuer })));
    // Changes are relayed in commit order: once the twin is served, the expired one is cached too.
    await eventually(async () => (await request(twin.issuer)).status === 200, 10_000);
    const refused = await request(expired.issuer);
    expect({ status: refused.status, error: refused.body.error }).toEqual({ status: 400, error: 'invalid_grant' });
  });
});

describe('a second replica with CLIENT_ASSERTION_AUDIENCE_COMPAT=true', () => {
  let replica: TokenServiceInstance;
  beforeAll(async () => {
    replica = await broker.startReplica({ CLIENT_ASSERTION_AUDIENCE_COMPAT: 'true' });
  });
  afterAll(async () => {
    await replica?.process.stop();
  });

  it('accepts the token endpoint URL as a client assertion aud, still not two values', async () => {
    const viaEndpoint = await signAssertion(clientKey, assertionClaims({ iss: pkjClient.client_id, sub: pkjClient.client_id, aud: replica.tokenEndpoint }));
    const ok = await postForm(replica.tokenEndpoint, { grant_type: 'client_credentials', client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: viaEndpoint });
    expect(ok.status).toBe(200);
    const two = await signAssertion(clientKey, assertionClaims({ iss: pkjClient.client_id, sub: pkjClient.client_id, aud: [replica.issuer, replica.tokenEndpoint] }));
    const refused = await postForm(replica.tokenEndpoint, { grant_type: 'client_credentials', client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: two });
    expect({ status: refused.status, error: refused.body.error }).toEqual({ status: 401, error: 'invalid_client' });
  });

  it('shares the replay store: an assertion used at one replica is refused at the other', async () => {
    const key = issuerKey;
    const claims = assertionClaims({ iss: OPEN_ISS, sub: 'alice', aud: [broker.issuer, replica.issuer] });
    const assertion = await signAssertion(key, claims);
    expect((await exchange(assertion)).status).toBe(200);
    const again = await postForm(replica.tokenEndpoint, { grant_type: JWT_BEARER_GRANT, assertion });
    expect({ status: again.status, error: again.body.error }).toEqual({ status: 400, error: 'invalid_grant' });
  });
});
