/**
 * Findings of the security review (issue 16), end to end on the built issuer-registry and
 * token-service, the real Postgres, Redis and BullMQ: each `describe` is one finding.
 */
import { randomUUID } from 'node:crypto';
import {
  assertionClaims,
  basicAuthorization,
  CLIENT_ASSERTION_TYPE,
  eventually,
  generatePartyKey,
  jwksOf,
  JWT_BEARER_GRANT,
  nowSeconds,
  postForm,
  signAssertion,
  type CreatedClient,
  type PartyKey,
  type TokenAnswer,
} from '@trust-broker/testing';
import { sha256Hex } from '@trust-broker/secrets';
import { useBroker } from './support/use-broker';

const OPTIONAL_JTI_ISS = 'https://idp-optional-jti.example';
const STRICT_ISS = 'https://idp-strict-subjects.example';
const API = 'https://api.review.example';
const MAPPING_ISS = 'https://idp-mappings.example';

const broker = useBroker('secreview', { deferTokenService: true });
let issuerKey: PartyKey;
let clientKey: PartyKey;
let owner: CreatedClient;
let resourceServer: CreatedClient;
let bystander: CreatedClient;
let disabled: CreatedClient;
let publicClient: CreatedClient;
let keyClient: CreatedClient;

const sign = (iss: string, claims: Record<string, unknown> = {}) => signAssertion(issuerKey, assertionClaims({ iss, sub: 'alice', aud: broker.issuer }, claims));
const exchange = (assertion: string, headers: Record<string, string> = {}): Promise<TokenAnswer> =>
  postForm(broker.tokenEndpoint, { grant_type: JWT_BEARER_GRANT, assertion }, headers);

beforeAll(async () => {
  issuerKey = await generatePartyKey('ES256', 'review-key');
  await broker.admin.createIssuer({ issuer: OPTIONAL_JTI_ISS, jwks: jwksOf(issuerKey), subjects: ['*'], require_jti: false });
  await broker.admin.createIssuer({ issuer: STRICT_ISS, jwks: jwksOf(issuerKey), subjects: ['alice'] });
  await broker.admin.createIssuer({ issuer: MAPPING_ISS, jwks: jwksOf(issuerKey), subjects: ['*'], claim_mappings: { profile: 'claims.profile' } });
  clientKey = await generatePartyKey('ES256', 'review-client-key');
  const secretClient = (fields: Record<string, unknown> = {}) =>
    broker.admin.createClient({ token_endpoint_auth_method: 'client_secret_basic', grant_types: ['client_credentials'], scope: 'read', ...fields });
  owner = await secretClient();
  resourceServer = await secretClient({ introspection_audiences: [API] });
  bystander = await secretClient();
  disabled = await secretClient();
  await broker.admin.updateClient(disabled.client_id, { status: 'disabled' });
  publicClient = await broker.admin.createClient({ token_endpoint_auth_method: 'none', grant_types: [JWT_BEARER_GRANT] });
  keyClient = await broker.admin.createClient({ token_endpoint_auth_method: 'private_key_jwt', jwks: jwksOf(clientKey), grant_types: ['client_credentials'] });
  await broker.startTokenService();
});

const basic = (client: CreatedClient, secret = client.client_secret!) => ({ authorization: basicAuthorization(client.client_id, secret) });
const clientCredentials = (client: CreatedClient, extra: Record<string, string> = {}, headers: Record<string, string> = {}) =>
  postForm(broker.tokenEndpoint, { grant_type: 'client_credentials', ...extra }, { ...basic(client), ...headers });
const introspect = (caller: CreatedClient, token: string) => postForm(`${broker.url}/oauth2/introspect`, { token }, basic(caller));
async function auditOf(requestId: string) {
  const [event] = await eventually(async () => {
    const events = await broker.audit.byRequestId(requestId);
    return events.length > 0 ? events : undefined;
  }, 10_000);
  return event!;
}

describe('a grant jti that is present but not required is recorded (CONTRACT.md)', () => {
  it('the same assertion is refused the second time; assertions without jti stay reusable', async () => {
    const withJti = await sign(OPTIONAL_JTI_ISS, { jti: randomUUID() });
    expect((await exchange(withJti)).status).toBe(200);
    const again = await exchange(withJti);
    expect({ status: again.status, error: again.body.error, token: again.body.access_token }).toEqual({ status: 400, error: 'invalid_grant', token: undefined });
    const withoutJti = await sign(OPTIONAL_JTI_ISS, { jti: undefined });
    expect((await exchange(withoutJti)).status).toBe(200);
    expect((await exchange(withoutJti)).status).toBe(200);
  });

  it('a fractional exp is accepted and its jti single-use', async () => {
    const assertion = await sign(OPTIONAL_JTI_ISS, { jti: randomUUID(), exp: nowSeconds() + 60.5 });
    expect((await exchange(assertion)).status).toBe(200);
    expect((await exchange(assertion)).body.error).toBe('invalid_grant');
  });
});

describe('failure audit events keep what the verified assertion said (CONTRACT.md "Audit API")', () => {
  it('a grant refused for its subject records issuer, subject, kid and jti_hash', async () => {
    const jti = randomUUID();
    const requestId = randomUUID();
    const refused = await exchange(await sign(STRICT_ISS, { sub: 'mallory', jti }), { 'x-request-id': requestId });
    expect(refused.body.error).toBe('invalid_grant');
    const [event] = await eventually(async () => {
      const events = await broker.audit.byRequestId(requestId);
      return events.length > 0 ? events : undefined;
    }, 10_000);
    expect(event).toMatchObject({
      outcome: 'failure',
      reason: 'subject_not_allowed',
      issuer: STRICT_ISS,
      subject: 'mallory',
      kid: 'review-key',
      jti_hash: sha256Hex(jti),
    });
  });

  it('an assertion whose signature does not verify records none of its claims as fact', async () => {
    const forger = await generatePartyKey('ES256', 'review-key');
    const requestId = randomUUID();
    const forged = await signAssertion(forger, assertionClaims({ iss: STRICT_ISS, sub: 'alice', aud: broker.issuer }, { jti: randomUUID() }));
    expect((await exchange(forged, { 'x-request-id': requestId })).body.error).toBe('invalid_grant');
    const [event] = await eventually(async () => {
      const events = await broker.audit.byRequestId(requestId);
      return events.length > 0 ? events : undefined;
    }, 10_000);
    expect(event).toMatchObject({ outcome: 'failure', reason: 'signature_invalid', subject: null, kid: null, jti_hash: null });
  });
});

describe('a client assertion refused after its signature verified names its client and key in the failure event (CONTRACT.md "Audit API")', () => {
  const ENDPOINTS = {
    token: { url: () => broker.tokenEndpoint, form: { grant_type: 'client_credentials' }, type: 'token' },
    introspection: { url: () => `${broker.url}/oauth2/introspect`, form: { token: 'not-a-token' }, type: 'introspection' },
    revocation: { url: () => `${broker.url}/oauth2/revoke`, form: { token: 'not-a-token' }, type: 'revocation' },
  } as const;
  const clientAssertion = (overrides: Record<string, unknown> = {}, key: PartyKey = clientKey) =>
    signAssertion(key, assertionClaims({ iss: keyClient.client_id, sub: keyClient.client_id, aud: broker.issuer }, overrides));
  const present = (endpoint: keyof typeof ENDPOINTS, assertion: string, requestId: string, extra: Record<string, string> = {}) =>
    postForm(ENDPOINTS[endpoint].url(), { ...ENDPOINTS[endpoint].form, client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: assertion, ...extra }, { 'x-request-id': requestId });

  it.each(Object.keys(ENDPOINTS) as Array<keyof typeof ENDPOINTS>)('a replayed client assertion at the %s endpoint: client_id, client_kid and the jti hash', async (endpoint) => {
    const jti = randomUUID();
    const assertion = await clientAssertion({ jti });
    expect((await present(endpoint, assertion, randomUUID())).status).toBe(200);
    const requestId = randomUUID();
    const replayed = await present(endpoint, assertion, requestId);
    expect({ status: replayed.status, error: replayed.body.error }).toEqual({ status: 401, error: 'invalid_client' });
    expect(await auditOf(requestId)).toMatchObject({
      type: ENDPOINTS[endpoint].type,
      outcome: 'failure',
      reason: 'jti_replayed',
      error: 'invalid_client',
      actor: 'anonymous',
      client_id: keyClient.client_id,
      client_kid: 'review-client-key',
      details: { client_jti_hash: sha256Hex(jti) },
    });
  });

  it.each<[string, () => Promise<string>, () => Record<string, string>, string]>([
    ['a lifetime over the client\'s maximum', () => clientAssertion({ exp: nowSeconds() + 3600 }), () => ({}), 'lifetime_exceeded'],
    ['a client_id parameter that names another client', () => clientAssertion(), () => ({ client_id: owner.client_id }), 'client_id_mismatch'],
  ])('%s at the token endpoint: the verified client, not the claimed one', async (_label, make, extra, reason) => {
    const requestId = randomUUID();
    const refused = await present('token', await make(), requestId, extra());
    expect({ status: refused.status, error: refused.body.error }).toEqual({ status: 401, error: 'invalid_client' });
    expect(await auditOf(requestId)).toMatchObject({ outcome: 'failure', reason, client_id: keyClient.client_id, client_kid: 'review-client-key' });
  });

  it('a revoked client assertion at the introspection endpoint', async () => {
    const jti = randomUUID();
    await broker.admin.revokeClientAssertion(keyClient.client_id, { jti });
    const requestId = await eventually(async () => {
      const id = randomUUID();
      return (await present('introspection', await clientAssertion({ jti }), id)).status === 401 ? id : undefined;
    }, 10_000);
    expect(await auditOf(requestId!)).toMatchObject({ outcome: 'failure', reason: 'assertion_revoked', client_id: keyClient.client_id, client_kid: 'review-client-key' });
  });

  it.each(Object.keys(ENDPOINTS) as Array<keyof typeof ENDPOINTS>)('an assertion whose signature does not verify at the %s endpoint: no client_kid, no jti hash', async (endpoint) => {
    const forger = await generatePartyKey('ES256', 'review-client-key');
    const requestId = randomUUID();
    const refused = await present(endpoint, await clientAssertion({}, forger), requestId);
    expect({ status: refused.status, body: refused.body }).toEqual({ status: 401, body: { error: 'invalid_client', error_description: 'client authentication failed' } });
    const event = await auditOf(requestId);
    expect(event).toMatchObject({ outcome: 'failure', reason: 'signature_invalid', client_kid: null, details: null });
    // Nothing the unverified assertion says is taken as fact (the token endpoint records only a client_id parameter, none here).
    expect(event.client_id).toBeNull();
  });
});

describe('introspection answers only for tokens issued to the caller or meant for it (RFC 7662 §4, CONTRACT.md)', () => {
  it('the owner and a client whose introspection_audiences hold the aud see the token; any other client sees active: false', async () => {
    const forApi = String((await clientCredentials(owner, { resource: API })).body.access_token);
    expect((await introspect(owner, forApi)).body).toMatchObject({ active: true, client_id: owner.client_id, aud: API });
    expect((await introspect(resourceServer, forApi)).body).toMatchObject({ active: true, client_id: owner.client_id, aud: API });
    const foreign = await introspect(bystander, forApi);
    expect({ status: foreign.status, body: foreign.body }).toEqual({ status: 200, body: { active: false } });
    // A token for another audience is as unknown to the resource server.
    const forBroker = String((await clientCredentials(owner)).body.access_token);
    expect((await introspect(resourceServer, forBroker)).body).toEqual({ active: false });
  });

  it('introspection_audiences defaults to the client_id, and is shown, validated and patched by the admin API', async () => {
    expect(owner).toMatchObject({ introspection_audiences: [owner.client_id] });
    expect(resourceServer).toMatchObject({ introspection_audiences: [API] });
    const bad = await broker.admin.request('POST', '/v1/clients', { token_endpoint_auth_method: 'client_secret_basic', introspection_audiences: [''] });
    expect({ status: bad.status, error: bad.body.error }).toEqual({ status: 400, error: 'invalid_request' });
    expect(String(bad.body.error_description)).toMatch(/^introspection_audiences/);
    const patched = await broker.admin.updateClient(bystander.client_id, { introspection_audiences: [API] });
    expect(patched).toMatchObject({ introspection_audiences: [API] });
  });
});

describe('one invalid_client text for every client authentication failure before proof of possession', () => {
  it('unknown, disabled, wrong method, wrong secret, public, bad assertion: the same answer; the audit keeps the reason', async () => {
    const attempts: Array<[reason: string, send: (requestId: string) => Promise<TokenAnswer>]> = [
      ['client_unknown', (id) => postForm(broker.tokenEndpoint, { grant_type: 'client_credentials' }, { authorization: basicAuthorization('no-such-client', 'x'), 'x-request-id': id })],
      ['client_disabled', (id) => clientCredentials(disabled, {}, { 'x-request-id': id })],
      ['auth_method_mismatch', (id) => postForm(broker.tokenEndpoint, { grant_type: 'client_credentials', client_id: owner.client_id, client_secret: owner.client_secret! }, { 'x-request-id': id })],
      ['secret_mismatch', (id) => postForm(broker.tokenEndpoint, { grant_type: 'client_credentials' }, { ...basic(owner, 'wrong-secret'), 'x-request-id': id })],
      ['client_auth_required', (id) => postForm(broker.tokenEndpoint, { grant_type: 'client_credentials', client_id: publicClient.client_id }, { 'x-request-id': id })],
      ['signature_invalid', async (id) => {
        const forger = await generatePartyKey('ES256', 'review-client-key');
        const forged = await signAssertion(forger, assertionClaims({ iss: keyClient.client_id, sub: keyClient.client_id, aud: broker.issuer }));
        return postForm(broker.tokenEndpoint, { grant_type: 'client_credentials', client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: forged }, { 'x-request-id': id });
      }],
      ['client_unknown', async (id) => {
        const assertion = await signAssertion(clientKey, assertionClaims({ iss: 'no-such-client', sub: 'no-such-client', aud: broker.issuer }));
        return postForm(broker.tokenEndpoint, { grant_type: 'client_credentials', client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: assertion }, { 'x-request-id': id });
      }],
    ];
    for (const [reason, send] of attempts) {
      const requestId = randomUUID();
      const answer = await send(requestId);
      expect({ reason, status: answer.status, body: answer.body }).toEqual({ reason, status: 401, body: { error: 'invalid_client', error_description: 'client authentication failed' } });
      expect(await auditOf(requestId)).toMatchObject({ outcome: 'failure', error: 'invalid_client', reason });
    }
  });

  it('a public client at the introspection endpoint gets the same text', async () => {
    const answer = await postForm(`${broker.url}/oauth2/introspect`, { token: 'x', client_id: publicClient.client_id });
    expect({ status: answer.status, body: answer.body }).toEqual({ status: 401, body: { error: 'invalid_client', error_description: 'client authentication failed' } });
  });

  it('after proof of possession the client may learn why: its own expired assertion says so', async () => {
    const expired = await signAssertion(clientKey, assertionClaims({ iss: keyClient.client_id, sub: keyClient.client_id, aud: broker.issuer }, { iat: nowSeconds() - 200, exp: nowSeconds() - 100 }));
    const answer = await postForm(broker.tokenEndpoint, { grant_type: 'client_credentials', client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: expired });
    expect(answer.status).toBe(401);
    expect(answer.body.error_description).toMatch(/expired/);
  });
});

describe('claim mappings cannot make an oversized token', () => {
  it('registration refuses claim_mappings over 4,096 bytes, naming the field', async () => {
    const mappings = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`c${i}`, `claims.${'a'.repeat(250)}`]));
    const answer = await broker.admin.request('POST', '/v1/issuers', { issuer: 'https://idp-big-mappings.example', jwks: jwksOf(issuerKey), subjects: ['*'], claim_mappings: mappings });
    expect({ status: answer.status, error: answer.body.error }).toEqual({ status: 400, error: 'invalid_request' });
    expect(String(answer.body.error_description)).toMatch(/^claim_mappings/);
  });

  it('issuance refuses a token over 8,192 bytes with invalid_grant, issues nothing, and the assertion is not used up', async () => {
    const jti = randomUUID();
    const big = await sign(MAPPING_ISS, { jti, profile: 'p'.repeat(9000) });
    const refused = await exchange(big);
    expect({ status: refused.status, error: refused.body.error, token: refused.body.access_token }).toEqual({ status: 400, error: 'invalid_grant', token: undefined });
    expect(String(refused.body.error_description)).toMatch(/8192 bytes/);
    expect((await exchange(await sign(MAPPING_ISS, { profile: 'small' }))).status).toBe(200);
  });
});
