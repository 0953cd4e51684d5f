/**
 * Refresh tokens and DPoP end to end (CONTRACT.md "Refresh tokens and DPoP"): the built
 * issuer-registry and token-service, real Postgres, Redis and BullMQ. Who gets a refresh
 * token, rotation and reuse detection (a race of 20 uses of one token included), the
 * absolute family lifetime, the trust re-checked at each use, DPoP binding of access and
 * refresh tokens, revocation and introspection, metadata, and the audit events.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { calculateJwkThumbprint, decodeJwt } from 'jose';
import {
  assertionClaims,
  CLIENT_ASSERTION_TYPE,
  eventually,
  generatePartyKey,
  jwksOf,
  JWT_BEARER_GRANT,
  nowSeconds,
  postForm,
  signAssertion,
  TOKEN_EXCHANGE_GRANT,
  TOKEN_TYPES,
  type CreatedClient,
  type CreatedIssuer,
  type PartyKey,
  type TokenAnswer,
} from '@trust-broker/testing';
import type { TokenServiceInstance } from './support/broker-environment';
import { useBroker } from './support/use-broker';
import { dpopProof, generateDpopKey, type DpopKey } from './support/dpop-proofs';

const ISSUER = 'https://idp.refresh.example';
const PLAIN_ISSUER = 'https://idp.no-refresh.example';
const API = 'https://api.example';

const broker = useBroker('refresh');
let replica: TokenServiceInstance;
let db: Client;
let issuerKey: PartyKey;
let plainIssuerKey: PartyKey;
let issuer: CreatedIssuer;
let confidential: CreatedClient;
let otherConfidential: CreatedClient;
let publicClient: CreatedClient;
let dpopKey: DpopKey;
let otherDpopKey: DpopKey;

const secretAuth = (client: CreatedClient) => ({ client_id: client.client_id, client_secret: client.client_secret! });

async function grantAssertion(iss = ISSUER, sub = 'alice', extra: Record<string, unknown> = {}): Promise<string> {
  return signAssertion(iss === ISSUER ? issuerKey : plainIssuerKey, assertionClaims({ iss, sub, aud: broker.issuer }, { department: 'finance', ...extra }));
}

/** A jwt-bearer grant by `client` (secret_post), optionally with a DPoP proof. */
async function jwtBearer(client: CreatedClient | undefined, options: { iss?: string; sub?: string; dpop?: DpopKey; scope?: string } = {}): Promise<TokenAnswer> {
  const parameters: Record<string, string> = { grant_type: JWT_BEARER_GRANT, assertion: await grantAssertion(options.iss, options.sub) };
  if (options.scope) parameters.scope = options.scope;
  if (client) Object.assign(parameters, client.client_secret ? secretAuth(client) : { client_id: client.client_id });
  const headers: Record<string, string> = options.dpop ? { dpop: await dpopProof(options.dpop, broker.tokenEndpoint) } : {};
  return postForm(broker.tokenEndpoint, parameters, headers);
}

async function refresh(
  refreshToken: string,
  client: CreatedClient | undefined,
  options: { dpop?: DpopKey; scope?: string; target?: TokenServiceInstance; requestId?: string } = {},
): Promise<TokenAnswer> {
  const target = options.target ?? broker;
  const parameters: Record<string, string> = { grant_type: 'refresh_token', refresh_token: refreshToken };
  if (options.scope) parameters.scope = options.scope;
  if (client) Object.assign(parameters, client.client_secret ? secretAuth(client) : { client_id: client.client_id });
  const headers: Record<string, string> = { 'x-request-id': options.requestId ?? randomUUID() };
  if (options.dpop) headers.dpop = await dpopProof(options.dpop, target.tokenEndpoint);
  return postForm(target.tokenEndpoint, parameters, headers);
}

async function startFamily(client: CreatedClient = confidential, options: { dpop?: DpopKey; sub?: string } = {}): Promise<string> {
  const answer = await jwtBearer(client, options);
  expect(answer.status).toBe(200);
  expect(typeof answer.body.refresh_token).toBe('string');
  return answer.body.refresh_token as string;
}

const expectError = (answer: TokenAnswer, status: number, error: string) => expect([answer.status, answer.body.error]).toEqual([status, error]);

beforeAll(async () => {
  replica = await broker.startReplica({ BROKER_ISSUER: broker.issuer });
  db = new Client({ connectionString: broker.env.database.url });
  await db.connect();
  broker.onStop(() => db.end());
  [issuerKey, plainIssuerKey, dpopKey, otherDpopKey] = await Promise.all([
    generatePartyKey('ES256', 'issuer-key'),
    generatePartyKey('ES256', 'plain-key'),
    generateDpopKey(),
    generateDpopKey(),
  ]);
  issuer = await broker.admin.createIssuer({
    issuer: ISSUER,
    jwks: jwksOf(issuerKey),
    subjects: ['alice', 'bob', 'carol', 'dave', 'erin'],
    allowed_scopes: ['read', 'write'],
    audiences: [API],
    claim_mappings: { department: 'claims.department' },
    refresh_tokens: true,
    refresh_token_ttl_s: 3600,
  });
  await broker.admin.createIssuer({ issuer: PLAIN_ISSUER, jwks: jwksOf(plainIssuerKey), subjects: ['*'], allowed_scopes: ['read'] });
  const grantTypes = [JWT_BEARER_GRANT, 'refresh_token'];
  confidential = await broker.admin.createClient({ token_endpoint_auth_method: 'client_secret_post', grant_types: grantTypes, scope: 'read write' });
  otherConfidential = await broker.admin.createClient({ token_endpoint_auth_method: 'client_secret_post', grant_types: grantTypes, scope: 'read write' });
  publicClient = await broker.admin.createClient({ token_endpoint_auth_method: 'none', grant_types: grantTypes, scope: 'read write' });
  for (const instance of [broker, replica]) {
    await eventually(async () => {
      const answer = await postForm(instance.tokenEndpoint, { grant_type: JWT_BEARER_GRANT, assertion: await grantAssertion(), ...secretAuth(confidential) });
      return answer.status === 200;
    }, 10_000);
  }
});

describe('who gets a refresh token', () => {
  it('a confidential client, from an issuer with refresh_tokens: an opaque 256-bit token stored only as its SHA-256', async () => {
    const answer = await jwtBearer(confidential);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ token_type: 'Bearer', scope: 'read write' });
    const token = answer.body.refresh_token as string;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const rows = await db.query(`SELECT t.token_hash, f.client_id, f.issuer, f.subject, f.scopes, f.audience, f.mapped_claims, f.dpop_jkt,
       extract(epoch FROM f.expires_at - f.created_at)::int AS lifetime FROM token.refresh_tokens t JOIN token.refresh_token_families f ON f.id = t.family_id
       WHERE t.token_hash = $1`, [createHash('sha256').update(token).digest()]);
    expect(rows.rows).toEqual([
      expect.objectContaining({ client_id: confidential.client_id, issuer: ISSUER, subject: 'alice', scopes: ['read', 'write'], audience: [API], mapped_claims: { department: 'finance' }, dpop_jkt: null, lifetime: 3600 }),
    ]);
    const dump = JSON.stringify((await db.query('SELECT * FROM token.refresh_tokens')).rows) + JSON.stringify((await db.query('SELECT * FROM token.refresh_token_families')).rows);
    expect(dump).not.toContain(token);
  });

  it('not from an issuer without refresh_tokens', async () => {
    const answer = await jwtBearer(confidential, { iss: PLAIN_ISSUER });
    expect(answer.status).toBe(200);
    expect(answer.body).not.toHaveProperty('refresh_token');
  });

  it('not to a public client without DPoP, nor to an anonymous request without DPoP', async () => {
    for (const client of [publicClient, undefined]) {
      const answer = await jwtBearer(client);
      expect(answer.status).toBe(200);
      expect(answer.body).not.toHaveProperty('refresh_token');
    }
  });

  it('to a public client with a DPoP proof: the access token and the refresh token are bound to its key', async () => {
    const answer = await jwtBearer(publicClient, { dpop: dpopKey });
    expect(answer.status).toBe(200);
    const jkt = await calculateJwkThumbprint(dpopKey.publicJwk, 'sha256');
    expect(answer.body.token_type).toBe('DPoP');
    expect(decodeJwt(answer.body.access_token as string).cnf).toEqual({ jkt });
    const [family] = (await db.query('SELECT f.dpop_jkt FROM token.refresh_tokens t JOIN token.refresh_token_families f ON f.id = t.family_id WHERE t.token_hash = $1', [
      createHash('sha256').update(answer.body.refresh_token as string).digest(),
    ])).rows;
    expect(family).toEqual({ dpop_jkt: jkt });
  });
});

describe('the refresh_token grant', () => {
  it('gives the same token contents and a new refresh token, on either replica', async () => {
    const first = await startFamily();
    const answer = await refresh(first, confidential, { target: replica });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ token_type: 'Bearer', scope: 'read write', expires_in: 600 });
    expect(answer.body.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(answer.body.refresh_token).not.toBe(first);
    expect(decodeJwt(answer.body.access_token as string)).toMatchObject({ sub: 'alice', aud: API, idp: ISSUER, client_id: confidential.client_id, department: 'finance', scope: 'read write' });
    const again = await refresh(answer.body.refresh_token as string, confidential);
    expect(again.status).toBe(200);
  });

  it('narrows the scope on request, refuses a wider one with invalid_scope (without using up the token)', async () => {
    const token = await startFamily();
    expectError(await refresh(token, confidential, { scope: 'read admin' }), 400, 'invalid_scope');
    const narrowed = await refresh(token, confidential, { scope: 'read' });
    expect(narrowed.status).toBe(200);
    expect(narrowed.body.scope).toBe('read');
    expect(decodeJwt(narrowed.body.access_token as string).scope).toBe('read');
  });

  it('needs the same client: another client or none is 401 invalid_client, and the token stays usable', async () => {
    const token = await startFamily();
    expectError(await refresh(token, otherConfidential), 401, 'invalid_client');
    expectError(await refresh(token, undefined), 401, 'invalid_client');
    expectError(await refresh(token, { ...confidential, client_secret: 'wrong-secret' }), 401, 'invalid_client');
    expect((await refresh(token, confidential)).status).toBe(200);
  });

  it('refuses an unknown token, a malformed one and a missing one', async () => {
    expectError(await refresh('A'.repeat(43), confidential), 400, 'invalid_grant');
    expectError(await refresh('not a token', confidential), 400, 'invalid_grant');
    const missing = await postForm(broker.tokenEndpoint, { grant_type: 'refresh_token', ...secretAuth(confidential) });
    expectError(missing, 400, 'invalid_request');
  });

  it('reuse after rotation ends the family: the old token and the new one are refused', async () => {
    const first = await startFamily(confidential, { sub: 'bob' });
    const rotated = await refresh(first, confidential);
    expect(rotated.status).toBe(200);
    const requestId = randomUUID();
    const reuse = await refresh(first, confidential, { requestId });
    expectError(reuse, 400, 'invalid_grant');
    expect(reuse.body.error_description).toMatch(/already used/);
    expectError(await refresh(rotated.body.refresh_token as string, confidential), 400, 'invalid_grant');
    // The failed token event, and one revocation event for the family it ended.
    const events = await eventually(async () => {
      const found = await broker.audit.byRequestId(requestId);
      return found.length >= 2 ? found : undefined;
    });
    const familyId = events.find((event) => event.type === 'token')?.details?.refresh_family_id;
    expect(typeof familyId).toBe('string');
    expect(events).toHaveLength(2);
    expect(events).toEqual(expect.arrayContaining([
      expect.objectContaining({ type: 'token', outcome: 'failure', reason: 'refresh_token_reused', grant_type: 'refresh_token', subject: 'bob', issuer: ISSUER }),
      expect.objectContaining({
        type: 'revocation', outcome: 'success', reason: 'refresh_token_reused', client_id: confidential.client_id, subject: 'bob', issuer: ISSUER,
        details: { revoked: true, token_type: 'refresh_token', refresh_family_id: familyId, family_ended: true },
      }),
    ]));
    expect(JSON.stringify(events)).not.toContain(first);
    expect(JSON.stringify(events)).not.toContain(rotated.body.refresh_token as string);
  });

  it('a race of 20 concurrent uses of one token: exactly one new pair, the rest is reuse and the family ends', async () => {
    const token = await startFamily(confidential, { sub: 'carol' });
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => refresh(token, confidential, { target: i % 2 === 0 ? broker : replica })));
    const winners = answers.filter((answer) => answer.status === 200);
    expect(winners).toHaveLength(1);
    expect(answers.filter((answer) => answer.status === 400 && answer.body.error === 'invalid_grant')).toHaveLength(19);
    expectError(await refresh(winners[0]!.body.refresh_token as string, confidential), 400, 'invalid_grant');
    const families = await db.query(
      `SELECT f.id, f.revoked_reason, (SELECT count(*)::int FROM token.refresh_tokens WHERE family_id = f.id) AS tokens FROM token.refresh_token_families f
       JOIN token.refresh_tokens t ON t.family_id = f.id WHERE t.token_hash = $1`,
      [createHash('sha256').update(token).digest()],
    );
    expect(families.rows).toEqual([{ id: expect.any(String), revoked_reason: 'refresh_token_reused', tokens: 2 }]);
    // 19 reuses, one family ended: one revocation event.
    const familyId = families.rows[0].id as string;
    const familyEvents = async () => (await broker.audit.events()).filter((event) => event.details?.refresh_family_id === familyId);
    // Every token event of the family in: its first grant, the 20 uses, the winner's refused one.
    await eventually(async () => (await familyEvents()).filter((event) => event.type === 'token').length === 22, 5000);
    expect((await familyEvents()).filter((event) => event.type === 'revocation')).toEqual([expect.objectContaining({ outcome: 'success', reason: 'refresh_token_reused' })]);
  });

  it('refuses a family past its absolute lifetime', async () => {
    const token = await startFamily();
    await db.query(`UPDATE token.refresh_token_families SET expires_at = now() - interval '1 second'
      WHERE id = (SELECT family_id FROM token.refresh_tokens WHERE token_hash = $1)`, [createHash('sha256').update(token).digest()]);
    const answer = await refresh(token, confidential);
    expectError(answer, 400, 'invalid_grant');
    expect(answer.body.error_description).toMatch(/expired/);
  });

  it('checks the trust again at each use: a disabled issuer within 2 s, a subject no longer accepted', async () => {
    const token = await startFamily(confidential, { sub: 'dave' });
    await broker.admin.updateIssuer(issuer.id, { status: 'disabled' });
    try {
      // A grant of the issuer probes the propagation (a refresh that still passed would rotate the token).
      const startedAt = Date.now();
      await eventually(async () => (await jwtBearer(confidential)).status === 400, 5000);
      expect(Date.now() - startedAt).toBeLessThan(2000);
      const refused = await refresh(token, confidential);
      expectError(refused, 400, 'invalid_grant');
      expect(refused.body.error_description).toMatch(/no longer active/);
    } finally {
      await broker.admin.updateIssuer(issuer.id, { status: 'active' });
    }
    await eventually(async () => (await jwtBearer(confidential)).status === 200, 5000);
    expect((await refresh(token, confidential)).status).toBe(200);

    const erin = await startFamily(confidential, { sub: 'erin' });
    await broker.admin.updateIssuer(issuer.id, { subjects: ['alice', 'bob', 'carol', 'dave'] });
    try {
      await eventually(async () => (await jwtBearer(confidential, { sub: 'erin' })).status === 400, 5000);
      const refused = await refresh(erin, confidential);
      expectError(refused, 400, 'invalid_grant');
      expect(refused.body.error_description).toMatch(/no longer accepted/);
    } finally {
      await broker.admin.updateIssuer(issuer.id, { subjects: ['alice', 'bob', 'carol', 'dave', 'erin'] });
    }
  });

  it("a disabled client's refresh tokens stop working within 2 s, and work again once it is enabled", async () => {
    const client = await broker.admin.createClient({ token_endpoint_auth_method: 'client_secret_post', grant_types: [JWT_BEARER_GRANT, 'refresh_token'], scope: 'read' });
    const token = await eventually(async () => (await jwtBearer(client)).body.refresh_token as string | undefined, 5000);
    await broker.admin.updateClient(client.client_id, { status: 'disabled' });
    const startedAt = Date.now();
    // A grant probes the propagation; a refresh that still passed would rotate the token.
    await eventually(async () => (await jwtBearer(client)).status === 401, 5000);
    expect(Date.now() - startedAt).toBeLessThan(2000);
    expectError(await refresh(token, client), 401, 'invalid_client');
    await broker.admin.updateClient(client.client_id, { status: 'active' });
    await eventually(async () => (await jwtBearer(client)).status === 200, 5000);
    expect((await refresh(token, client)).status).toBe(200);
  });

  it('is refused to a client whose grant_types lack refresh_token (unauthorized_client)', async () => {
    const limited = await broker.admin.createClient({ token_endpoint_auth_method: 'client_secret_post', grant_types: [JWT_BEARER_GRANT], scope: 'read' });
    const token = await eventually(async () => (await jwtBearer(limited)).body.refresh_token as string | undefined, 5000);
    expectError(await refresh(token, limited), 400, 'unauthorized_client');
  });
});

describe('DPoP', () => {
  it('a bound refresh token needs a proof of the same key: none or another key is invalid_grant', async () => {
    const token = await startFamily(publicClient, { dpop: dpopKey });
    expectError(await refresh(token, publicClient), 400, 'invalid_grant');
    expectError(await refresh(token, publicClient, { dpop: otherDpopKey }), 400, 'invalid_grant');
    const answer = await refresh(token, publicClient, { dpop: dpopKey });
    expect(answer.status).toBe(200);
    expect(answer.body.token_type).toBe('DPoP');
    expect(decodeJwt(answer.body.access_token as string).cnf).toEqual({ jkt: await calculateJwkThumbprint(dpopKey.publicJwk, 'sha256') });
  });

  it('refuses a bad proof with 400 invalid_dpop_proof: wrong htu, wrong htm, old iat, a replayed jti, two headers', async () => {
    const assertion = async () => ({ grant_type: JWT_BEARER_GRANT, assertion: await grantAssertion(), client_id: publicClient.client_id });
    const cases: [string, string | string[]][] = [
      ['wrong htu', await dpopProof(dpopKey, `${broker.url}/oauth2/introspect`)],
      ['old iat', await dpopProof(dpopKey, broker.tokenEndpoint, { iat: nowSeconds() - 120 })],
      ['wrong htm', await dpopProof(dpopKey, broker.tokenEndpoint, { htm: 'GET' })],
    ];
    for (const [, proof] of cases) expectError(await postForm(broker.tokenEndpoint, await assertion(), { dpop: proof as string }), 400, 'invalid_dpop_proof');
    const proof = await dpopProof(dpopKey, broker.tokenEndpoint);
    expect((await postForm(broker.tokenEndpoint, await assertion(), { dpop: proof })).status).toBe(200);
    const replayed = await postForm(broker.tokenEndpoint, await assertion(), { dpop: proof });
    expectError(replayed, 400, 'invalid_dpop_proof');
    const twice = await fetch(broker.tokenEndpoint, {
      method: 'POST',
      headers: [['content-type', 'application/x-www-form-urlencoded'], ['dpop', await dpopProof(dpopKey, broker.tokenEndpoint)], ['dpop', await dpopProof(dpopKey, broker.tokenEndpoint)]],
      body: new URLSearchParams(await assertion()).toString(),
    });
    expect([twice.status, ((await twice.json()) as { error: string }).error]).toEqual([400, 'invalid_dpop_proof']);
  });

  it('lists the refresh_token grant and the DPoP algorithms in the metadata', async () => {
    const metadata = (await (await fetch(`${broker.url}/.well-known/oauth-authorization-server`)).json()) as Record<string, string[]>;
    expect(metadata.grant_types_supported).toContain('refresh_token');
    expect(metadata.dpop_signing_alg_values_supported).toEqual(expect.arrayContaining(['ES256', 'EdDSA', 'PS256']));
    expect(metadata.dpop_signing_alg_values_supported).not.toContain('HS256');
  });
});

describe('introspection and revocation of refresh tokens', () => {
  const manage = (endpoint: 'introspect' | 'revoke', token: string, client: CreatedClient = confidential) =>
    postForm(`${broker.url}/oauth2/${endpoint}`, { token, ...secretAuth(client) });

  it('introspection answers for a refresh token, only to its client, and not once it is used', async () => {
    const token = await startFamily();
    const answer = await manage('introspect', token);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ active: true, token_type: 'refresh_token', client_id: confidential.client_id, sub: 'alice', scope: 'read write' });
    expect(answer.body.exp).toBeGreaterThan(nowSeconds() + 3500);
    expect((await manage('introspect', token, otherConfidential)).body).toEqual({ active: false });
    await refresh(token, confidential);
    expect((await manage('introspect', token)).body).toEqual({ active: false });
  });

  it('introspection checks the trust again as a use would (RFC 7662 §2.2): inactive within 2 s of the issuer disabled, or once the sub is no longer accepted', async () => {
    const token = await startFamily(confidential, { sub: 'dave' });
    expect((await manage('introspect', token)).body).toMatchObject({ active: true, sub: 'dave' });
    await broker.admin.updateIssuer(issuer.id, { status: 'disabled' });
    try {
      const startedAt = Date.now();
      await eventually(async () => (await manage('introspect', token)).body.active === false, 5000);
      expect(Date.now() - startedAt).toBeLessThan(2000);
      expect((await manage('introspect', token)).body).toEqual({ active: false });
    } finally {
      await broker.admin.updateIssuer(issuer.id, { status: 'active' });
    }
    // Not used up meanwhile: active again with its issuer, and still usable.
    await eventually(async () => (await manage('introspect', token)).body.active === true, 5000);

    await broker.admin.updateIssuer(issuer.id, { subjects: ['alice', 'bob', 'carol', 'erin'] });
    try {
      await eventually(async () => (await jwtBearer(confidential, { sub: 'dave' })).status === 400, 5000);
      expect((await manage('introspect', token)).body).toEqual({ active: false });
    } finally {
      await broker.admin.updateIssuer(issuer.id, { subjects: ['alice', 'bob', 'carol', 'dave', 'erin'] });
    }
    await eventually(async () => (await manage('introspect', token)).body.active === true, 5000);
    expect((await refresh(token, confidential)).status).toBe(200);
  });

  it('introspection of a DPoP-bound access token returns its cnf', async () => {
    const answer = await jwtBearer(confidential, { dpop: dpopKey });
    expect(answer.body.token_type).toBe('DPoP');
    const introspected = await manage('introspect', answer.body.access_token as string);
    expect(introspected.body).toMatchObject({ active: true, cnf: { jkt: await calculateJwkThumbprint(dpopKey.publicJwk, 'sha256') } });
  });

  it('revocation ends the whole family (token_type_hint optional); another client cannot revoke it', async () => {
    const first = await startFamily();
    const second = (await refresh(first, confidential)).body.refresh_token as string;
    expect((await manage('revoke', second, otherConfidential)).status).toBe(200);
    expect((await manage('introspect', second)).body.active).toBe(true);
    const revoked = await postForm(`${broker.url}/oauth2/revoke`, { token: second, token_type_hint: 'refresh_token', ...secretAuth(confidential) });
    expect(revoked.status).toBe(200);
    expectError(await refresh(second, confidential), 400, 'invalid_grant');
    expect((await manage('introspect', second)).body).toEqual({ active: false });
  });
});

describe('audit', () => {
  it('one token event per refresh, naming the family and never the token', async () => {
    const token = await startFamily();
    const requestId = randomUUID();
    const answer = await refresh(token, confidential, { requestId });
    expect(answer.status).toBe(200);
    const events = await eventually(async () => {
      const found = await broker.audit.byRequestId(requestId);
      return found.length > 0 ? found : undefined;
    });
    expect(events).toEqual([
      expect.objectContaining({ type: 'token', outcome: 'success', grant_type: 'refresh_token', client_id: confidential.client_id, issuer: ISSUER, subject: 'alice', scope: 'read write' }),
    ]);
    expect(events[0]!.details).toEqual(expect.objectContaining({ refresh_family_id: expect.stringMatching(/^[0-9a-f-]{36}$/), token_jti: expect.any(String) }));
    expect(JSON.stringify(events)).not.toContain(token);
    expect(JSON.stringify(events)).not.toContain(answer.body.refresh_token as string);
  });
});

describe('token exchange (RFC 8693)', () => {
  it('an exchange of a trusted issuer\'s token also returns a refresh token, which refreshes to the same contents', async () => {
    const exchanger = await broker.admin.createClient({
      token_endpoint_auth_method: 'client_secret_post',
      grant_types: [TOKEN_EXCHANGE_GRANT, 'refresh_token'],
      scope: 'read write',
    });
    const subjectToken = await grantAssertion(ISSUER, 'alice');
    const exchanged = await eventually(async () => {
      const answer = await postForm(broker.tokenEndpoint, {
        grant_type: TOKEN_EXCHANGE_GRANT,
        subject_token: subjectToken,
        subject_token_type: TOKEN_TYPES.jwt,
        scope: 'read',
        ...secretAuth(exchanger),
      });
      return answer.status === 200 ? answer : undefined;
    }, 5000);
    expect(exchanged.body).toMatchObject({ issued_token_type: TOKEN_TYPES.accessToken, scope: 'read' });
    expect(exchanged.body.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const refreshed = await refresh(exchanged.body.refresh_token as string, exchanger);
    expect(refreshed.status).toBe(200);
    expect(decodeJwt(refreshed.body.access_token as string)).toMatchObject({ sub: 'alice', idp: ISSUER, client_id: exchanger.client_id, scope: 'read', department: 'finance' });
  });
});

describe('client authentication by federated_jwt', () => {
  it('a federated_jwt client (a workload token of a trusted issuer) gets a refresh token and proves itself again at each use', async () => {
    const CLUSTER = 'https://oidc.cluster.refresh.example';
    const WORKLOAD = 'system:serviceaccount:ci:refresher';
    const clusterKey = await generatePartyKey('RS256', 'sa-key');
    await broker.admin.createIssuer({ issuer: CLUSTER, jwks: jwksOf(clusterKey), subjects: ['nobody'] });
    const client = await broker.admin.createClient({
      token_endpoint_auth_method: 'federated_jwt',
      federated_credentials: [{ issuer: CLUSTER, subject: WORKLOAD }],
      grant_types: [JWT_BEARER_GRANT, 'refresh_token'],
      scope: 'read',
    });
    const workloadAuth = async (sub = WORKLOAD) => ({
      client_id: client.client_id,
      client_assertion_type: CLIENT_ASSERTION_TYPE,
      client_assertion: await signAssertion(clusterKey, assertionClaims({ iss: CLUSTER, sub, aud: broker.issuer })),
    });
    const first = await eventually(async () => {
      const answer = await postForm(broker.tokenEndpoint, { grant_type: JWT_BEARER_GRANT, assertion: await grantAssertion(), ...(await workloadAuth()) });
      return answer.status === 200 ? answer : undefined;
    }, 5000);
    expect(first.body.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const refreshed = await postForm(broker.tokenEndpoint, { grant_type: 'refresh_token', refresh_token: first.body.refresh_token as string, ...(await workloadAuth()) });
    expect(refreshed.status).toBe(200);
    expect(decodeJwt(refreshed.body.access_token as string)).toMatchObject({ client_id: client.client_id, sub: 'alice', scope: 'read' });
    const otherWorkload = await postForm(broker.tokenEndpoint, {
      grant_type: 'refresh_token',
      refresh_token: refreshed.body.refresh_token as string,
      ...(await workloadAuth('system:serviceaccount:ci:intruder')),
    });
    expectError(otherWorkload, 401, 'invalid_client');
  });
});

describe('client authentication by private_key_jwt', () => {
  it('a private_key_jwt client gets a refresh token and proves itself again with a new assertion at each use', async () => {
    const clientKey = await generatePartyKey('ES256', 'client-key');
    const client = await broker.admin.createClient({ token_endpoint_auth_method: 'private_key_jwt', jwks: jwksOf(clientKey), grant_types: [JWT_BEARER_GRANT, 'refresh_token'], scope: 'read' });
    const clientAuth = async () => ({
      client_assertion_type: CLIENT_ASSERTION_TYPE,
      client_assertion: await signAssertion(clientKey, assertionClaims({ iss: client.client_id, sub: client.client_id, aud: broker.issuer })),
    });
    const first = await eventually(async () => {
      const answer = await postForm(broker.tokenEndpoint, { grant_type: JWT_BEARER_GRANT, assertion: await grantAssertion(), ...(await clientAuth()) });
      return answer.status === 200 ? answer : undefined;
    }, 5000);
    expect(first.body.scope).toBe('read');
    const refreshed = await postForm(broker.tokenEndpoint, { grant_type: 'refresh_token', refresh_token: first.body.refresh_token as string, ...(await clientAuth()) });
    expect(refreshed.status).toBe(200);
    expect(decodeJwt(refreshed.body.access_token as string)).toMatchObject({ client_id: client.client_id, sub: 'alice', scope: 'read' });
    expectError(await postForm(broker.tokenEndpoint, { grant_type: 'refresh_token', refresh_token: refreshed.body.refresh_token as string, client_id: client.client_id }), 401, 'invalid_client');
  });
});
