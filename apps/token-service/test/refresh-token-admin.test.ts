/**
 * The admin API over refresh-token families (issue 23), end to end: the built
 * issuer-registry lists and revokes a client's or an issuer's families, which live in
 * token-service's schema and which it reaches only through the functions of the contract
 * (packages/contracts token-schema.ts); the built token-service then refuses their tokens.
 * One admin audit event per family revoked; never a token in an answer or an event.
 */
import {
  assertionClaims,
  eventually,
  generatePartyKey,
  jwksOf,
  JWT_BEARER_GRANT,
  postForm,
  signAssertion,
  type CreatedClient,
  type CreatedIssuer,
  type PartyKey,
} from '@trust-broker/testing';
import { useBroker } from './support/use-broker';

const ISSUER = 'https://idp.admin-refresh.example';
const broker = useBroker('refreshadmin');
let key: PartyKey;
let issuer: CreatedIssuer;
let alpha: CreatedClient;
let beta: CreatedClient;

const auth = (client: CreatedClient) => ({ client_id: client.client_id, client_secret: client.client_secret! });

async function startFamily(client: CreatedClient, sub: string): Promise<string> {
  const answer = await postForm(broker.tokenEndpoint, { grant_type: JWT_BEARER_GRANT, assertion: await signAssertion(key, assertionClaims({ iss: ISSUER, sub, aud: broker.issuer })), ...auth(client) });
  expect(answer.status).toBe(200);
  return answer.body.refresh_token as string;
}

const refresh = (token: string, client: CreatedClient) => postForm(broker.tokenEndpoint, { grant_type: 'refresh_token', refresh_token: token, ...auth(client) });

beforeAll(async () => {
  key = await generatePartyKey('ES256');
  issuer = await broker.admin.createIssuer({ issuer: ISSUER, jwks: jwksOf(key), subjects: ['*'], allowed_scopes: ['read'], refresh_tokens: true });
  const common = { token_endpoint_auth_method: 'client_secret_post', grant_types: [JWT_BEARER_GRANT, 'refresh_token'], scope: 'read' };
  alpha = await broker.admin.createClient(common);
  beta = await broker.admin.createClient(common);
  await eventually(async () => {
    const answer = await postForm(broker.tokenEndpoint, { grant_type: JWT_BEARER_GRANT, assertion: await signAssertion(key, assertionClaims({ iss: ISSUER, sub: 'probe', aud: broker.issuer })), ...auth(beta) });
    return answer.status === 200;
  }, 10_000);
});

it("lists a client's and an issuer's usable families, paged, without their tokens; 404 for an unknown owner", async () => {
  const tokens = [await startFamily(alpha, 'alice'), await startFamily(alpha, 'bob')];
  const listed = await broker.admin.request('GET', `/v1/clients/${alpha.client_id}/refresh-tokens`);
  expect(listed.status).toBe(200);
  const items = listed.body.items as Record<string, unknown>[];
  expect(items.map((item) => item.subject)).toEqual(['alice', 'bob']);
  expect(items[0]).toEqual({
    id: expect.stringMatching(/^[0-9a-f-]{36}$/),
    client_id: alpha.client_id,
    issuer_id: issuer.id,
    issuer: ISSUER,
    subject: 'alice',
    scope: 'read',
    dpop_bound: false,
    created_at: expect.any(String),
    expires_at: expect.any(String),
    last_used_at: null,
  });
  expect(listed.body.next_cursor).toBeNull();
  for (const token of tokens) expect(JSON.stringify(listed.body)).not.toContain(token);

  const first = await broker.admin.request('GET', `/v1/clients/${alpha.client_id}/refresh-tokens?limit=1`);
  expect((first.body.items as unknown[]).length).toBe(1);
  const second = await broker.admin.request('GET', `/v1/clients/${alpha.client_id}/refresh-tokens?limit=1&cursor=${first.body.next_cursor as string}`);
  expect((second.body.items as { subject: string }[]).map((item) => item.subject)).toEqual(['bob']);

  const ofIssuer = await broker.admin.request('GET', `/v1/issuers/${issuer.id}/refresh-tokens`);
  expect((ofIssuer.body.items as { client_id: string }[]).map((item) => item.client_id)).toEqual(expect.arrayContaining([alpha.client_id, beta.client_id]));

  expect((await broker.admin.request('GET', '/v1/clients/no-such-client/refresh-tokens')).status).toBe(404);
  expect((await broker.admin.request('GET', '/v1/issuers/00000000-0000-4000-8000-000000000000/refresh-tokens')).status).toBe(404);
  expect((await broker.admin.request('GET', '/v1/issuers/not-a-uuid/refresh-tokens')).status).toBe(404);
});

it("revokes a client's families at once, one admin event per family; another client's stay usable", async () => {
  const alphaTokens = [await startFamily(alpha, 'carol'), await startFamily(alpha, 'dave')];
  const betaToken = await startFamily(beta, 'erin');
  const before = (await broker.admin.request('GET', `/v1/clients/${alpha.client_id}/refresh-tokens`)).body.items as { id: string }[];

  const revoked = await broker.admin.request('DELETE', `/v1/clients/${alpha.client_id}/refresh-tokens`);
  expect(revoked.status).toBe(200);
  expect(revoked.body.revoked).toBe(before.length);
  expect(new Set(revoked.body.family_ids as string[])).toEqual(new Set(before.map((family) => family.id)));
  for (const token of alphaTokens) {
    const answer = await refresh(token, alpha);
    expect([answer.status, answer.body.error]).toEqual([400, 'invalid_grant']);
  }
  expect((await refresh(betaToken, beta)).status).toBe(200);
  expect((await broker.admin.request('GET', `/v1/clients/${alpha.client_id}/refresh-tokens`)).body.items).toEqual([]);
  expect((await broker.admin.request('DELETE', `/v1/clients/${alpha.client_id}/refresh-tokens`)).body).toEqual({ revoked: 0, family_ids: [] });

  const events = await eventually(async () => {
    const found = (await broker.audit.events()).filter((event) => event.type === 'admin' && event.action === 'refresh_tokens_revoked');
    return found.length >= before.length ? found : undefined;
  }, 10_000);
  expect(events).toHaveLength(before.length);
  expect(new Set(events.map((event) => (event.details as { refresh_family_id: string }).refresh_family_id))).toEqual(new Set(before.map((family) => family.id)));
  expect(events.every((event) => event.client_id === alpha.client_id && event.issuer === ISSUER && event.outcome === 'success' && event.actor !== null)).toBe(true);
  for (const token of alphaTokens) expect(JSON.stringify(events)).not.toContain(token);
});

it("revokes an issuer's families across its clients", async () => {
  const betaToken = await startFamily(beta, 'frank');
  const revoked = await broker.admin.request('DELETE', `/v1/issuers/${issuer.id}/refresh-tokens`);
  expect(revoked.status).toBe(200);
  expect(revoked.body.revoked).toBeGreaterThanOrEqual(1);
  expect((await refresh(betaToken, beta)).body.error).toBe('invalid_grant');
  expect((await broker.admin.request('GET', `/v1/issuers/${issuer.id}/refresh-tokens`)).body.items).toEqual([]);
});

it('is described in the OpenAPI document', async () => {
  const document = (await broker.admin.request('GET', '/openapi.json')).body as { paths: Record<string, Record<string, { summary?: string }>> };
  expect(Object.keys(document.paths['/v1/clients/{client_id}/refresh-tokens']!).sort()).toEqual(['delete', 'get']);
  expect(Object.keys(document.paths['/v1/issuers/{id}/refresh-tokens']!).sort()).toEqual(['delete', 'get']);
});
