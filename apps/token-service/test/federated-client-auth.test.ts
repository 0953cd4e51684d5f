/**
 * `federated_jwt` client authentication against the real processes, Postgres and Redis
 * (CONTRACT.md "Federated client authentication"): a client that holds no key and no
 * secret authenticates with a token a trusted issuer minted for its workload, at the
 * token (every grant, jwt-bearer included), introspection and revocation endpoints.
 * Every failure is 401 `invalid_client`; a single-use assertion succeeds exactly once
 * under 50 concurrent uses; disabling or deleting the issuer stops the client within 2 s.
 */
import { randomUUID } from 'node:crypto';
import { decodeJwt } from 'jose';
import {
  CLIENT_ASSERTION_TYPE,
  generatePartyKey,
  JWT_BEARER_GRANT,
  jwksOf,
  nowSeconds,
  postForm,
  signAssertion,
  TOKEN_EXCHANGE_GRANT,
  TOKEN_TYPES,
  type CreatedIssuer,
  type PartyKey,
} from '@trust-broker/testing';
import { useBroker } from './support/use-broker';

const CLUSTER_ISSUER = 'https://oidc.cluster-b.partner.example';
const PARTNER_IDP = 'https://idp.partner.example';
const WORKLOAD = 'system:serviceaccount:ci:deployer';

const broker = useBroker('federated-client');
let clusterKey: PartyKey;
let partnerKey: PartyKey;
let cluster: CreatedIssuer;

beforeAll(async () => {
  clusterKey = await generatePartyKey('RS256', 'sa-key-1');
  partnerKey = await generatePartyKey('ES256', 'partner-1');
  // accepted_audiences left to its default: the token service's own BROKER_ISSUER.
  cluster = await broker.admin.createIssuer({ issuer: CLUSTER_ISSUER, jwks: jwksOf(clusterKey), subjects: ['nobody'], max_assertion_lifetime_s: 3600 });
  await broker.admin.createIssuer({ issuer: PARTNER_IDP, jwks: jwksOf(partnerKey), subjects: ['*'], allowed_scopes: ['orders'], require_client_auth: true, allowed_client_ids: ['deployer'] });
  await broker.admin.createClient({
    client_id: 'deployer',
    token_endpoint_auth_method: 'federated_jwt',
    federated_credentials: [{ issuer: CLUSTER_ISSUER, subject: WORKLOAD }],
    grant_types: ['client_credentials', JWT_BEARER_GRANT, TOKEN_EXCHANGE_GRANT],
    scope: 'deploy orders',
  });
  await broker.admin.createClient({
    client_id: 'long-lived-workload',
    token_endpoint_auth_method: 'federated_jwt',
    federated_credentials: [{ issuer: CLUSTER_ISSUER, subject: 'system:serviceaccount:ci:poller' }],
    client_assertion_reuse: true,
    scope: 'deploy',
  });
  await until(async () => (await clientCredentials(await workloadToken())).status === 200, 10_000);
  await until(async () => (await clientCredentials(await workloadToken({ sub: 'system:serviceaccount:ci:poller' }), 'long-lived-workload')).status === 200, 10_000);
});

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return Date.now() - started;
}

/** A Kubernetes projected service-account token, audience the broker. */
function workloadToken(overrides: Record<string, unknown> = {}, key: PartyKey = clusterKey): Promise<string> {
  const now = nowSeconds();
  const claims: Record<string, unknown> = {
    iss: CLUSTER_ISSUER,
    sub: WORKLOAD,
    aud: [broker.issuer],
    iat: now,
    nbf: now,
    exp: now + 600,
    jti: randomUUID(),
    'kubernetes.io': { namespace: 'ci', serviceaccount: { name: 'deployer', uid: randomUUID() } },
    ...overrides,
  };
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
  return signAssertion(key, claims);
}

/** `clientId` null: no `client_id` parameter. */
function clientAuth(assertion: string, clientId: string | null = 'deployer'): Record<string, string> {
  return { client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: assertion, ...(clientId !== null ? { client_id: clientId } : {}) };
}

function clientCredentials(assertion: string, clientId: string = 'deployer', headers: Record<string, string> = {}) {
  return postForm(broker.tokenEndpoint, { grant_type: 'client_credentials', ...clientAuth(assertion, clientId) }, headers);
}

describe('at the token endpoint', () => {
  it('authenticates a client that holds no key and no secret, with its workload token', async () => {
    const requestId = randomUUID();
    const answer = await clientCredentials(await workloadToken(), 'deployer', { 'x-request-id': requestId });
    expect(answer.status).toBe(200);
    expect(decodeJwt(answer.body.access_token as string)).toMatchObject({ sub: 'deployer', client_id: 'deployer', scope: 'deploy orders' });
    const events = await until(async () => (await broker.audit.byRequestId(requestId)).length > 0, 5000).then(() => broker.audit.byRequestId(requestId));
    expect(events[0]).toMatchObject({ outcome: 'success', client_id: 'deployer', client_kid: 'sa-key-1', actor: 'client:deployer' });
  });

  it('works with the jwt-bearer grant of an issuer that requires client authentication', async () => {
    const now = nowSeconds();
    const grant = await signAssertion(partnerKey, { iss: PARTNER_IDP, sub: 'alice', aud: broker.issuer, iat: now, exp: now + 60, jti: randomUUID() });
    const answer = await postForm(broker.tokenEndpoint, { grant_type: JWT_BEARER_GRANT, assertion: grant, scope: 'orders', ...clientAuth(await workloadToken()) });
    expect(answer.status).toBe(200);
    expect(decodeJwt(answer.body.access_token as string)).toMatchObject({ sub: 'alice', client_id: 'deployer', idp: PARTNER_IDP, scope: 'orders' });
  });

  it('works with token exchange', async () => {
    await broker.admin.updateIssuer((await broker.admin.expect<{ items: CreatedIssuer[] }>(200, 'GET', '/v1/issuers')).items.find((i) => i.issuer === PARTNER_IDP)!.id, { accepted_audiences: ['broker-at-partner'] });
    const now = nowSeconds();
    const idToken = await signAssertion(partnerKey, { iss: PARTNER_IDP, sub: 'bob', aud: 'broker-at-partner', iat: now, exp: now + 60 });
    await until(async () => {
      const answer = await postForm(broker.tokenEndpoint, {
        grant_type: TOKEN_EXCHANGE_GRANT,
        subject_token: idToken,
        subject_token_type: TOKEN_TYPES.idToken,
        ...clientAuth(await workloadToken()),
      });
      return answer.status === 200 && decodeJwt(answer.body.access_token as string).client_id === 'deployer';
    }, 5000);
  });

  it('is single-use: the same workload token is refused the second time', async () => {
    const token = await workloadToken();
    expect((await clientCredentials(token)).status).toBe(200);
    const again = await clientCredentials(token);
    expect(again.status).toBe(401);
    expect(again.body.error).toBe('invalid_client');
  });

  it('lets a client with client_assertion_reuse present the same token until it expires', async () => {
    const token = await workloadToken({ sub: 'system:serviceaccount:ci:poller', jti: undefined });
    for (let i = 0; i < 3; i++) expect((await clientCredentials(token, 'long-lived-workload')).status).toBe(200);
  });

  it.each([
    ['no client_id parameter', async () => clientAuth(await workloadToken(), null)],
    ['the sub of another workload', async () => clientAuth(await workloadToken({ sub: 'system:serviceaccount:ci:intruder' }))],
    ['the credential of another client (its sub)', async () => clientAuth(await workloadToken({ sub: 'system:serviceaccount:ci:poller' }))],
    ['an issuer not among the credentials', async () => clientAuth(await workloadToken({ iss: PARTNER_IDP }, partnerKey))],
    ['an aud that is not accepted', async () => clientAuth(await workloadToken({ aud: 'https://kubernetes.default.svc' }))],
    ['no jti (single-use client)', async () => clientAuth(await workloadToken({ jti: undefined }))],
    ['an expired token', async () => clientAuth(await workloadToken({ iat: nowSeconds() - 900, nbf: nowSeconds() - 900, exp: nowSeconds() - 120 }))],
    ['a lifetime over the issuer maximum', async () => clientAuth(await workloadToken({ exp: nowSeconds() + 7200 }))],
    ["a key that is not the issuer's", async () => clientAuth(await workloadToken({}, await generatePartyKey('RS256', 'sa-key-1')))],
    ['a client secret instead', async () => ({ client_id: 'deployer', client_secret: 'guess' })],
    ['a bare client_id', async () => ({ client_id: 'deployer' })],
  ])('answers 401 invalid_client for %s', async (_label, parameters) => {
    const answer = await postForm(broker.tokenEndpoint, { grant_type: 'client_credentials', ...(await parameters()) });
    expect(answer.status).toBe(401);
    expect(answer.body.error).toBe('invalid_client');
  });

  it('gives exactly one success to 50 concurrent uses of one single-use assertion', async () => {
    const token = await workloadToken();
    const answers = await Promise.all(Array.from({ length: 50 }, () => clientCredentials(token)));
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 401)).toHaveLength(49);
    expect(answers.filter((answer) => answer.status === 401).every((answer) => answer.body.error === 'invalid_client')).toBe(true);
  });
});

describe('at introspection and revocation', () => {
  it('introspects and revokes its own tokens, authenticated by workload tokens', async () => {
    const issued = await clientCredentials(await workloadToken());
    const token = issued.body.access_token as string;
    const introspected = await postForm(`${broker.url}/oauth2/introspect`, { token, ...clientAuth(await workloadToken()) });
    expect(introspected.status).toBe(200);
    expect(introspected.body).toMatchObject({ active: true, client_id: 'deployer' });
    const revoked = await postForm(`${broker.url}/oauth2/revoke`, { token, ...clientAuth(await workloadToken()) });
    expect(revoked.status).toBe(200);
    const after = await postForm(`${broker.url}/oauth2/introspect`, { token, ...clientAuth(await workloadToken()) });
    expect(after.body).toEqual({ active: false });
    const refused = await postForm(`${broker.url}/oauth2/introspect`, { token, ...clientAuth(await workloadToken({ sub: 'system:serviceaccount:ci:intruder' })) });
    expect(refused.status).toBe(401);
    expect(refused.body.error).toBe('invalid_client');
  });
});

describe('metadata', () => {
  it('lists federated_jwt among the token endpoint auth methods', async () => {
    const metadata = (await (await fetch(`${broker.url}/.well-known/oauth-authorization-server`)).json()) as Record<string, string[]>;
    expect(metadata.token_endpoint_auth_methods_supported).toContain('federated_jwt');
    expect(metadata.introspection_endpoint_auth_methods_supported).toContain('federated_jwt');
  });
});

describe("the credential's issuer", () => {
  it('disabled: stops its federated clients within 2 s; enabled again: they work again', async () => {
    await broker.admin.updateIssuer(cluster.id, { status: 'disabled' });
    const elapsed = await until(async () => (await clientCredentials(await workloadToken())).status === 401, 2000);
    expect(elapsed).toBeLessThan(2000);
    await broker.admin.updateIssuer(cluster.id, { status: 'active' });
    await until(async () => (await clientCredentials(await workloadToken())).status === 200, 5000);
  });

  it('deleted: stops its federated clients within 2 s; the clients stay registered, with their credentials', async () => {
    expect((await broker.admin.request('DELETE', `/v1/issuers/${cluster.id}`)).status).toBe(204);
    const elapsed = await until(async () => (await clientCredentials(await workloadToken())).status === 401, 2000);
    expect(elapsed).toBeLessThan(2000);
    const client = await broker.admin.request('GET', '/v1/clients/deployer');
    expect(client.status).toBe(200);
    expect(client.body.federated_credentials).toEqual([{ issuer: CLUSTER_ISSUER, subject: WORKLOAD }]);
    const answer = await clientCredentials(await workloadToken());
    expect(answer.status).toBe(401);
    expect(answer.body.error).toBe('invalid_client');
  });
});
