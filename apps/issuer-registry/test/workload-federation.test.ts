/**
 * Workload identity federation fields against the real Postgres and Redis (CONTRACT.md
 * "Trusted issuers" `accepted_audiences`, "Clients" `federated_credentials` and
 * `federated_jwt`): defaults, validation naming the field, what a change publishes, and
 * what deleting a credential's issuer leaves behind.
 */
import { eventually } from '@trust-broker/testing';
import { startRegistry, type RegistryHarness } from './support/registry-harness';
import { publicJwk } from './support/test-keys';
import { listenForTrustChanges, type TrustChangeListener } from './support/trust-change-listener';

let registry: RegistryHarness;
let changes: TrustChangeListener;
let jwks: { keys: unknown[] };
const CI_ISSUER = 'https://token.actions.githubusercontent.com';
const K8S_ISSUER = 'https://kubernetes.default.svc.cluster.local';

beforeAll(async () => {
  registry = await startRegistry('workload-federation', { BROKER_ISSUER: 'https://broker.example.com' });
  changes = await listenForTrustChanges(registry.redis.prefix);
  jwks = { keys: [await publicJwk('wf-k1')] };
  for (const issuer of [CI_ISSUER, K8S_ISSUER]) {
    expect((await registry.call('POST', '/v1/issuers', { issuer, subjects: ['*'], jwks })).status).toBe(201);
  }
});

afterAll(async () => {
  await changes?.close();
  await registry?.close();
});

const federatedClient = (clientId: string, extra: Record<string, unknown> = {}) => ({
  client_id: clientId,
  token_endpoint_auth_method: 'federated_jwt',
  federated_credentials: [{ issuer: CI_ISSUER, subject: 'repo:acme/api:ref:refs/heads/main' }],
  ...extra,
});

describe('accepted_audiences on trusted issuers', () => {
  it('defaults to [BROKER_ISSUER], stored as the default (NULL) so it follows that setting', async () => {
    const res = await registry.call('POST', '/v1/issuers', { issuer: 'https://aud-default.example.com', subjects: ['*'], jwks });
    expect(res.status).toBe(201);
    expect(res.body.accepted_audiences).toEqual(['https://broker.example.com']);
    const [row] = await registry.sql<{ accepted_audiences: string[] | null }>(`SELECT accepted_audiences FROM registry.issuers WHERE id = $1`, [res.body.id]);
    expect(row!.accepted_audiences).toBeNull();
    expect((await registry.call('GET', `/v1/issuers/${res.body.id}`)).body.accepted_audiences).toEqual(['https://broker.example.com']);
  });

  it('takes a list on create and on patch, publishes the change, and keeps it across other patches', async () => {
    const created = await registry.call('POST', '/v1/issuers', {
      issuer: 'https://aud-set.example.com',
      subjects: ['*'],
      jwks,
      accepted_audiences: ['sts.example.com', 'https://broker.example.com'],
    });
    expect(created.status).toBe(201);
    expect(created.body.accepted_audiences).toEqual(['sts.example.com', 'https://broker.example.com']);
    const patched = await registry.call('PATCH', `/v1/issuers/${created.body.id}`, { accepted_audiences: ['api://AzureADTokenExchange'] });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ accepted_audiences: ['api://AzureADTokenExchange'], version: 2 });
    await eventually(async () => changes.messages.some((m) => m.entity === 'issuer' && m.id === created.body.id && m.version === 2));
    const other = await registry.call('PATCH', `/v1/issuers/${created.body.id}`, { display_name: 'renamed' });
    expect(other.body.accepted_audiences).toEqual(['api://AzureADTokenExchange']);
    // An empty list: none of its tokens serve as subject, actor or federated client tokens.
    const empty = await registry.call('PATCH', `/v1/issuers/${created.body.id}`, { accepted_audiences: [] });
    expect(empty.body.accepted_audiences).toEqual([]);
  });

  it.each([
    ['a string instead of a list', 'https://broker.example.com', /^accepted_audiences: /],
    ['an empty value', [''], /^accepted_audiences\[0\]: must not be empty/],
    ['a repeated value', ['a', 'a'], /^accepted_audiences: must not repeat a value/],
    ['a value that is not a string', [42], /^accepted_audiences\[0\]: /],
    ['more than 100 values', Array.from({ length: 101 }, (_, i) => `aud-${i}`), /^accepted_audiences: must hold at most 100 values/],
  ])('answers 400 naming the field for %s', async (_label, value, description) => {
    const res = await registry.call('POST', '/v1/issuers', { issuer: 'https://aud-bad.example.com', subjects: ['*'], jwks, accepted_audiences: value });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
    expect(res.body.error_description).toMatch(description);
  });
});

describe('federated_jwt clients', () => {
  it('creates a client with federated credentials and no key or secret, and publishes it', async () => {
    const res = await registry.call('POST', '/v1/clients', federatedClient('ci-deployer', { grant_types: ['client_credentials'], scope: 'deploy' }));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      client_id: 'ci-deployer',
      token_endpoint_auth_method: 'federated_jwt',
      federated_credentials: [{ issuer: CI_ISSUER, subject: 'repo:acme/api:ref:refs/heads/main' }],
      jwks: null,
      jwks_uri: null,
      client_assertion_reuse: false,
    });
    expect(res.body).not.toHaveProperty('client_secret');
    const [row] = await registry.sql<{ secret_ciphertext: string | null }>(`SELECT secret_ciphertext FROM registry.clients WHERE client_id = 'ci-deployer'`);
    expect(row!.secret_ciphertext).toBeNull();
    expect((await registry.call('GET', '/v1/clients/ci-deployer/jwks')).status).toBe(404);
    await eventually(async () => changes.messages.some((m) => m.entity === 'client' && m.id === 'ci-deployer'));
  });

  it('takes up to 20 credentials of several issuers, and client_assertion_reuse', async () => {
    const credentials = Array.from({ length: 20 }, (_, i) => ({ issuer: i % 2 ? CI_ISSUER : K8S_ISSUER, subject: `system:serviceaccount:ns:sa-${i}` }));
    const res = await registry.call('POST', '/v1/clients', federatedClient('many-creds', { federated_credentials: credentials, client_assertion_reuse: true }));
    expect(res.status).toBe(201);
    expect(res.body.federated_credentials).toHaveLength(20);
    expect(res.body.client_assertion_reuse).toBe(true);
  });

  it.each([
    ['no credentials', { federated_credentials: undefined }, /^federated_credentials: federated_jwt needs 1 to 20 credentials/],
    ['an empty list', { federated_credentials: [] }, /^federated_credentials: must hold at least one credential/],
    ['21 credentials', { federated_credentials: Array.from({ length: 21 }, (_, i) => ({ issuer: CI_ISSUER, subject: `s-${i}` })) }, /^federated_credentials: must hold at most 20/],
    ['an unregistered issuer', { federated_credentials: [{ issuer: CI_ISSUER, subject: 'a' }, { issuer: 'https://unknown.example.com', subject: 'b' }] }, /^federated_credentials\[1\]\.issuer: "https:\/\/unknown\.example\.com" is not a registered trusted issuer/],
    ['a credential without subject', { federated_credentials: [{ issuer: CI_ISSUER }] }, /^federated_credentials\[0\]\.subject: /],
    ['an empty subject', { federated_credentials: [{ issuer: CI_ISSUER, subject: '' }] }, /^federated_credentials\[0\]\.subject: must not be empty/],
    ['an unknown member', { federated_credentials: [{ issuer: CI_ISSUER, subject: 'a', audience: 'x' }] }, /^federated_credentials\[0\]\.audience: unknown field/],
    ['a repeated credential', { federated_credentials: [{ issuer: CI_ISSUER, subject: 'a' }, { issuer: CI_ISSUER, subject: 'a' }] }, /^federated_credentials: must not repeat a credential/],
    ['keys beside them', { jwks: 'JWKS' }, /^jwks: only private_key_jwt clients have keys/],
    ['a signing algorithm', { token_endpoint_auth_signing_alg: 'RS256' }, /^token_endpoint_auth_signing_alg: only for private_key_jwt and client_secret_jwt/],
  ])('answers 400 naming the field for %s', async (_label, extra, description) => {
    const body = JSON.parse(JSON.stringify(federatedClient('bad-federated', extra)).replace('"JWKS"', JSON.stringify(jwks)));
    const res = await registry.call('POST', '/v1/clients', body);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
    expect(res.body.error_description).toMatch(description);
    expect((await registry.call('GET', '/v1/clients/bad-federated')).status).toBe(404);
  });

  it('refuses federated credentials on a client of another method', async () => {
    const res = await registry.call('POST', '/v1/clients', { client_id: 'pk-with-creds', jwks, federated_credentials: [{ issuer: CI_ISSUER, subject: 'a' }] });
    expect(res.status).toBe(400);
    expect(res.body.error_description).toMatch(/^federated_credentials: only for federated_jwt \(this client uses private_key_jwt\)/);
  });

  it('patches credentials (checking their issuers), and drops them when the client leaves federated_jwt', async () => {
    expect((await registry.call('POST', '/v1/clients', federatedClient('patch-fed'))).status).toBe(201);
    const unknown = await registry.call('PATCH', '/v1/clients/patch-fed', { federated_credentials: [{ issuer: 'https://nope.example.com', subject: 'x' }] });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error_description).toMatch(/^federated_credentials\[0\]\.issuer: /);
    const moved = await registry.call('PATCH', '/v1/clients/patch-fed', { federated_credentials: [{ issuer: K8S_ISSUER, subject: 'system:serviceaccount:ci:runner' }] });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ federated_credentials: [{ issuer: K8S_ISSUER, subject: 'system:serviceaccount:ci:runner' }], version: 2 });
    const left = await registry.call('PATCH', '/v1/clients/patch-fed', { token_endpoint_auth_method: 'private_key_jwt', jwks });
    expect(left.status).toBe(200);
    expect(left.body).toMatchObject({ token_endpoint_auth_method: 'private_key_jwt', federated_credentials: null });
    const back = await registry.call('PATCH', '/v1/clients/patch-fed', { token_endpoint_auth_method: 'federated_jwt', jwks: null });
    expect(back.status).toBe(400);
    expect(back.body.error_description).toMatch(/^federated_credentials: /);
  });

  it('takes assertion revocations for a federated client (its tokens are client assertions too)', async () => {
    expect((await registry.call('POST', '/v1/clients', federatedClient('revoking-fed', { client_assertion_reuse: true }))).status).toBe(201);
    const res = await registry.call('POST', '/v1/clients/revoking-fed/assertion-revocations', { jti: 'leaked-token-jti' });
    expect(res.status).toBe(201);
  });

  it('keeps the client when its credential\'s issuer is deleted; re-registering the same iss is needed to use it again', async () => {
    const issuer = await registry.call('POST', '/v1/issuers', { issuer: 'https://short-lived-idp.example.com', subjects: ['*'], jwks });
    expect((await registry.call('POST', '/v1/clients', federatedClient('orphan', { federated_credentials: [{ issuer: 'https://short-lived-idp.example.com', subject: 'w' }] }))).status).toBe(201);
    expect((await registry.call('DELETE', `/v1/issuers/${issuer.body.id}`)).status).toBe(204);
    const client = await registry.call('GET', '/v1/clients/orphan');
    expect(client.status).toBe(200);
    expect(client.body.federated_credentials).toEqual([{ issuer: 'https://short-lived-idp.example.com', subject: 'w' }]);
    // The dangling credential is not accepted again by a write that names it.
    const rewrite = await registry.call('PATCH', '/v1/clients/orphan', { federated_credentials: client.body.federated_credentials });
    expect(rewrite.status).toBe(400);
  });
});

describe('OpenAPI', () => {
  it('describes accepted_audiences, federated_credentials and the federated_jwt method', async () => {
    const document = (await (await fetch(`${registry.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { requestBody: { content: Record<string, { schema: { properties: Record<string, { enum?: string[]; anyOf?: { type?: string; maxItems?: number; minItems?: number }[] }> } }> } }>>;
    };
    const issuerProps = document.paths['/v1/issuers']!.post!.requestBody.content['application/json']!.schema.properties;
    expect(issuerProps).toHaveProperty('accepted_audiences');
    const clientProps = document.paths['/v1/clients']!.post!.requestBody.content['application/json']!.schema.properties;
    expect(clientProps.token_endpoint_auth_method!.enum).toContain('federated_jwt');
    expect(JSON.stringify(clientProps.federated_credentials)).toContain('"maxItems":20');
    expect(JSON.stringify(clientProps.federated_credentials)).toContain('"subject"');
  });
});
