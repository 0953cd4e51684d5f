/**
 * Workload identity federation end to end, with a real client library and real-shaped
 * platform tokens (issue 18): a GitHub Actions job and a Kubernetes pod, each on its own
 * loopback IdP (support/workload-idps.ts: discovery document, key set and tokens as the
 * platform publishes them), registered by discovery as an admin would with the README's
 * settings. openid-client v6 discovers the broker (RFC 8414) and runs RFC 8693 token
 * exchange with `genericGrantRequest`, then authenticates a `federated_jwt` client with a
 * service-account token through a `ClientAuth` of its own (the library has no built-in
 * for it) and trades the token down (`subject_token_type` access_token).
 */
import * as client from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { CLIENT_ASSERTION_TYPE, eventually, startLoopbackIdp, TOKEN_EXCHANGE_GRANT, TOKEN_TYPES, type LoopbackIdp } from '@trust-broker/testing';
import { useBroker } from './support/use-broker';
import { serveGitHubActions, serveKubernetes, type WorkloadIdp } from './support/workload-idps';

const STS_AUDIENCE = 'https://sts.broker.example';

const broker = useBroker('workload-e2e');
const idps: LoopbackIdp[] = [];
let actions: WorkloadIdp;
let cluster: WorkloadIdp;

beforeAll(async () => {
  idps.push(await startLoopbackIdp(), await startLoopbackIdp());
  actions = serveGitHubActions(idps[0]!, STS_AUDIENCE);
  cluster = serveKubernetes(idps[1]!, [broker.issuer]);
  // The README's settings for each platform.
  await broker.admin.createIssuer({
    issuer: actions.issuer,
    discovery: true,
    subjects: [actions.subject],
    accepted_audiences: [STS_AUDIENCE],
    condition: "claims.repository_owner == 'octo-org' && claims.runner_environment == 'github-hosted'",
    allowed_scopes: ['deploy'],
    audiences: ['https://deploy.api.example'],
  });
  await broker.admin.createIssuer({ issuer: cluster.issuer, discovery: true, subjects: [cluster.subject], max_assertion_lifetime_s: 3600 });
  // openid-client always names its client: the CI jobs' one is public (method none).
  await broker.admin.createClient({ client_id: 'github-actions-job', token_endpoint_auth_method: 'none', grant_types: [TOKEN_EXCHANGE_GRANT], scope: 'deploy' });
  await broker.admin.createClient({
    client_id: 'payments-api',
    token_endpoint_auth_method: 'federated_jwt',
    federated_credentials: [{ issuer: cluster.issuer, subject: cluster.subject }],
    grant_types: [TOKEN_EXCHANGE_GRANT, 'client_credentials'],
    scope: 'payments:read payments:write',
  });
});

afterAll(async () => {
  await Promise.all(idps.map((idp) => idp.close()));
});

/** openid-client's configuration for the broker, discovered, with the given client authentication. */
function discover(clientId: string, auth: client.ClientAuth): Promise<client.Configuration> {
  return client.discovery(new URL(broker.issuer), clientId, {}, auth, { algorithm: 'oauth2', execute: [client.allowInsecureRequests] });
}

/** federated_jwt: the pod's service-account token as the client assertion (CONTRACT.md). */
function FederatedJwt(workloadToken: () => Promise<string>): client.ClientAuth {
  let next: string | undefined;
  const auth: client.ClientAuth = (_as, metadata, body) => {
    body.set('client_id', metadata.client_id);
    body.set('client_assertion_type', CLIENT_ASSERTION_TYPE);
    body.set('client_assertion', next!);
  };
  // ClientAuth is synchronous: a fresh (single-use) token is minted before each request.
  return Object.assign(auth, { refresh: async () => void (next = await workloadToken()) });
}

async function verified(accessToken: string, config: client.Configuration) {
  const { payload } = await jwtVerify(accessToken, createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!)), { issuer: broker.issuer, typ: 'at+jwt' });
  return payload;
}

it('a GitHub Actions job exchanges its OIDC token with genericGrantRequest, as a public client', async () => {
  const config = await discover('github-actions-job', client.None());
  const response = await eventually(async () => {
    try {
      return await client.genericGrantRequest(config, TOKEN_EXCHANGE_GRANT, { subject_token: await actions.mint(), subject_token_type: TOKEN_TYPES.jwt, scope: 'deploy', audience: 'https://deploy.api.example' });
    } catch {
      return undefined; // the registry is still fetching the keys by discovery
    }
  }, 20_000, 200);
  expect(response).toMatchObject({ issued_token_type: TOKEN_TYPES.accessToken, token_type: 'bearer', scope: 'deploy' });
  const claims = await verified(response.access_token, config);
  expect(claims).toMatchObject({ sub: actions.subject, idp: actions.issuer, aud: 'https://deploy.api.example', client_id: 'github-actions-job' });
  // Only claim_mappings carry a platform claim over: none are set here.
  expect(claims.repository).toBeUndefined();
});

it("refuses, through the library, a fork's job token and one minted for another audience (invalid_request)", async () => {
  const config = await discover('github-actions-job', client.None());
  for (const claims of [{ repository_owner: 'evil' }, { aud: 'https://elsewhere.example' }]) {
    await expect(client.genericGrantRequest(config, TOKEN_EXCHANGE_GRANT, { subject_token: await actions.mint(claims), subject_token_type: TOKEN_TYPES.jwt })).rejects.toMatchObject({
      error: 'invalid_request',
      status: 400,
    });
  }
});

it('a Kubernetes pod authenticates as a federated_jwt client with its projected token, gets a token and trades it down', async () => {
  const auth = FederatedJwt(() => cluster.mint()) as client.ClientAuth & { refresh(): Promise<void> };
  const config = await discover('payments-api', auth);
  await auth.refresh();
  const first = await eventually(async () => {
    try {
      return await client.clientCredentialsGrant(config, { scope: 'payments:read payments:write' });
    } catch {
      await auth.refresh();
      return undefined;
    }
  }, 20_000, 200);
  const broad = await verified(first.access_token, config);
  expect(broad).toMatchObject({ sub: 'payments-api', client_id: 'payments-api', scope: 'payments:read payments:write' });

  await auth.refresh();
  const narrowed = await client.genericGrantRequest(config, TOKEN_EXCHANGE_GRANT, { subject_token: first.access_token, subject_token_type: TOKEN_TYPES.accessToken, scope: 'payments:read' });
  expect(narrowed).toMatchObject({ issued_token_type: TOKEN_TYPES.accessToken, scope: 'payments:read' });
  const claims = await verified(narrowed.access_token, config);
  expect(claims).toMatchObject({ sub: 'payments-api', scope: 'payments:read' });
  expect(claims.exp!).toBeLessThanOrEqual(broad.exp!);

  // The same (single-use) service-account token a second time: the library surfaces 401 invalid_client.
  await expect(client.clientCredentialsGrant(config, { scope: 'payments:read' })).rejects.toMatchObject({ error: 'invalid_client', status: 401 });
});
