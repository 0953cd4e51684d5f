/**
 * Interop with a real client library (issue 4): openid-client v6 discovers the broker
 * (RFC 8414), authenticates with `PrivateKeyJwt` (its client assertions name the issuer
 * identifier as `aud`, as rfc7523bis asks) and runs the jwt-bearer grant
 * (`genericGrantRequest`) and `clientCredentialsGrant`; then refresh tokens (issue 23):
 * `refreshTokenGrant` for a confidential client, and for a public client whose tokens its
 * DPoP handle (`getDPoPHandle`) binds to its key, the library unchanged.
 */
import * as client from 'openid-client';
import { calculateJwkThumbprint, createRemoteJWKSet, decodeJwt, exportJWK, jwtVerify } from 'jose';
import {
  assertionClaims,
  eventually,
  generatePartyKey,
  jwksOf,
  JWT_BEARER_GRANT,
  signAssertion,
  type CreatedClient,
  type PartyKey,
} from '@trust-broker/testing';
import { startBrokerEnvironment, startTokenService, type BrokerEnvironment, type TokenServiceInstance } from './support/broker-environment';

jest.setTimeout(300_000);

const ISS = 'https://idp-interop.example';
const REFRESHING_ISS = 'https://idp-refreshing.example';
let env: BrokerEnvironment;
let broker: TokenServiceInstance;
let issuerKey: PartyKey;
let clientKey: PartyKey;
let registered: CreatedClient;
let config: client.Configuration;

beforeAll(async () => {
  env = await startBrokerEnvironment('interop');
  broker = await startTokenService(env);
  [issuerKey, clientKey] = await Promise.all([generatePartyKey('ES256'), generatePartyKey('ES256')]);
  registered = await env.admin.createClient({
    token_endpoint_auth_method: 'private_key_jwt',
    jwks: jwksOf(clientKey),
    grant_types: [JWT_BEARER_GRANT, 'client_credentials', 'refresh_token'],
    scope: 'read write',
  });
  await env.admin.createIssuer({ issuer: ISS, jwks: jwksOf(issuerKey), subjects: ['*'], allowed_scopes: ['read'], audiences: ['https://api.example'] });
  await env.admin.createIssuer({ issuer: REFRESHING_ISS, jwks: jwksOf(issuerKey), subjects: ['*'], allowed_scopes: ['read'], refresh_tokens: true });
  config = await client.discovery(
    new URL(broker.issuer),
    registered.client_id,
    { token_endpoint_auth_method: 'private_key_jwt' },
    client.PrivateKeyJwt({ key: clientKey.privateKey, kid: clientKey.kid }),
    { algorithm: 'oauth2', execute: [client.allowInsecureRequests] },
  );
});

afterAll(async () => {
  await broker?.process.stop();
  await env?.stop();
});

it('exchanges a partner assertion with genericGrantRequest and PrivateKeyJwt', async () => {
  const assertionFor = () => signAssertion(issuerKey, assertionClaims({ iss: ISS, sub: 'alice', aud: broker.issuer }));
  const response = await eventually(async () => {
    try {
      return await client.genericGrantRequest(config, JWT_BEARER_GRANT, { assertion: await assertionFor(), scope: 'read' });
    } catch {
      return undefined; // the registry's changes may still be on their way
    }
  }, 10_000, 100);
  expect(response.token_type).toBe('bearer');
  expect(response.scope).toBe('read');
  const { payload } = await jwtVerify(response.access_token, createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!)), { issuer: broker.issuer, typ: 'at+jwt' });
  expect(payload).toMatchObject({ sub: 'alice', client_id: registered.client_id, idp: ISS, aud: 'https://api.example' });
});

it('gets a client_credentials token with PrivateKeyJwt', async () => {
  const response = await client.clientCredentialsGrant(config, { scope: 'write' });
  expect(response.scope).toBe('write');
  const { payload } = await jwtVerify(response.access_token, createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!)), { issuer: broker.issuer, typ: 'at+jwt' });
  expect(payload).toMatchObject({ sub: registered.client_id, client_id: registered.client_id, aud: broker.issuer });
});

it('surfaces the broker error to the library: an unknown scope is invalid_scope', async () => {
  await expect(client.clientCredentialsGrant(config, { scope: 'admin' })).rejects.toMatchObject({ error: 'invalid_scope' });
});

describe('refresh tokens (openid-client refreshTokenGrant)', () => {
  const refreshingAssertion = () => signAssertion(issuerKey, assertionClaims({ iss: REFRESHING_ISS, sub: 'bob', aud: broker.issuer }));

  async function grantWithRetry(run: () => Promise<client.TokenEndpointResponse>): Promise<client.TokenEndpointResponse> {
    return eventually(async () => {
      try {
        return await run();
      } catch {
        return undefined; // the registry's changes may still be on their way
      }
    }, 10_000, 100);
  }

  it('a confidential client (PrivateKeyJwt) refreshes, and its rotated token cannot be used twice', async () => {
    const first = await grantWithRetry(async () => client.genericGrantRequest(config, JWT_BEARER_GRANT, { assertion: await refreshingAssertion() }));
    expect(first.refresh_token).toEqual(expect.any(String));
    const refreshed = await client.refreshTokenGrant(config, first.refresh_token!);
    expect(refreshed.token_type).toBe('bearer');
    expect(refreshed.refresh_token).not.toBe(first.refresh_token);
    const { payload } = await jwtVerify(refreshed.access_token, createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!)), { issuer: broker.issuer, typ: 'at+jwt' });
    expect(payload).toMatchObject({ sub: 'bob', idp: REFRESHING_ISS, client_id: registered.client_id, scope: 'read' });
    await expect(client.refreshTokenGrant(config, first.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('a public client with getDPoPHandle: DPoP-bound tokens, refreshed with the same key', async () => {
    const publicClient = await env.admin.createClient({ token_endpoint_auth_method: 'none', grant_types: [JWT_BEARER_GRANT, 'refresh_token'], scope: 'read' });
    const publicConfig = await client.discovery(new URL(broker.issuer), publicClient.client_id, { token_endpoint_auth_method: 'none' }, client.None(), {
      algorithm: 'oauth2',
      execute: [client.allowInsecureRequests],
    });
    const keyPair = await client.randomDPoPKeyPair('ES256');
    const DPoP = client.getDPoPHandle(publicConfig, keyPair);
    const first = await grantWithRetry(async () => client.genericGrantRequest(publicConfig, JWT_BEARER_GRANT, { assertion: await refreshingAssertion() }, { DPoP }));
    expect(first.token_type).toBe('dpop');
    expect(first.refresh_token).toEqual(expect.any(String));
    const jkt = await calculateJwkThumbprint(await exportJWK(keyPair.publicKey), 'sha256');
    expect(decodeJwt(first.access_token).cnf).toEqual({ jkt });

    const refreshed = await client.refreshTokenGrant(publicConfig, first.refresh_token!, undefined, { DPoP });
    expect(refreshed.token_type).toBe('dpop');
    expect(decodeJwt(refreshed.access_token).cnf).toEqual({ jkt });

    // Another key (a thief's) cannot use the bound refresh token.
    const otherDPoP = client.getDPoPHandle(publicConfig, await client.randomDPoPKeyPair('ES256'));
    await expect(client.refreshTokenGrant(publicConfig, refreshed.refresh_token!, undefined, { DPoP: otherDPoP })).rejects.toMatchObject({ error: 'invalid_grant' });
    const again = await client.refreshTokenGrant(publicConfig, refreshed.refresh_token!, undefined, { DPoP });
    expect(again.token_type).toBe('dpop');
  });
});
