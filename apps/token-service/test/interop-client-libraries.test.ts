/**
 * Interoperability with real client libraries, over HTTP against the real processes:
 * - openid-client v6: discovery (RFC 8414), `PrivateKeyJwt` (client assertions with `aud` =
 *   the issuer identifier, as rfc7523bis asks), the jwt-bearer grant through
 *   `genericGrantRequest`, `clientCredentialsGrant`, and refresh tokens (issue 23):
 *   `refreshTokenGrant` for a confidential client, and for a public client whose tokens its
 *   DPoP handle (`getDPoPHandle`) binds to its key, the library unchanged;
 * - oauth4webapi: introspection and revocation with `private_key_jwt`, and a resource
 *   server's RFC 9068 check of the access token (`validateJwtAccessToken`).
 */
import * as oauth from 'oauth4webapi';
import * as openid from 'openid-client';
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
import { useBroker } from './support/use-broker';

const ISSUER = 'https://partner-idp.example';
const REFRESHING_ISSUER = 'https://idp-refreshing.example';
const API = 'https://api.example';

const broker = useBroker('interop');
let issuerKey: PartyKey;
let clientKey: PartyKey;
let client: CreatedClient;
let config: openid.Configuration;
let as: oauth.AuthorizationServer;

beforeAll(async () => {
  [issuerKey, clientKey] = await Promise.all([generatePartyKey('ES256', 'partner-key'), generatePartyKey('ES256', 'interop-client-key')]);
  await broker.admin.createIssuer({ issuer: ISSUER, jwks: jwksOf(issuerKey), subjects: ['*'], allowed_scopes: ['read', 'write'], audiences: [API] });
  await broker.admin.createIssuer({ issuer: REFRESHING_ISSUER, jwks: jwksOf(issuerKey), subjects: ['*'], allowed_scopes: ['read'], refresh_tokens: true });
  client = await broker.admin.createClient({
    token_endpoint_auth_method: 'private_key_jwt',
    jwks: jwksOf(clientKey),
    grant_types: [JWT_BEARER_GRANT, 'client_credentials', 'refresh_token'],
    scope: 'read write',
  });
  const clientAuth = openid.PrivateKeyJwt({ key: clientKey.privateKey, kid: clientKey.kid });
  config = await openid.discovery(new URL(broker.issuer), client.client_id, { token_endpoint_auth_method: 'private_key_jwt' }, clientAuth, {
    algorithm: 'oauth2',
    execute: [openid.allowInsecureRequests],
  });
  const issuerUrl = new URL(broker.issuer);
  as = await oauth.processDiscoveryResponse(
    issuerUrl,
    await oauth.discoveryRequest(issuerUrl, { algorithm: 'oauth2', [oauth.allowInsecureRequests]: true }),
  );
  // The trust cache sees the new client within 2 s (CONTRACT.md).
  await eventually(async () => (await openid.clientCredentialsGrant(config, { scope: 'read' }).catch(() => undefined)) !== undefined, 10_000);
});

const oauthClient = () => ({ client_id: client.client_id });
const oauthClientAuth = () => oauth.PrivateKeyJwt({ key: clientKey.privateKey, kid: clientKey.kid });

async function introspect(token: string): Promise<oauth.IntrospectionResponse> {
  const response = await oauth.introspectionRequest(as, oauthClient(), oauthClientAuth(), token, { [oauth.allowInsecureRequests]: true });
  return oauth.processIntrospectionResponse(as, oauthClient(), response);
}

describe('openid-client v6', () => {
  it('discovers the broker from its RFC 8414 metadata', () => {
    const metadata = config.serverMetadata();
    expect(metadata.issuer).toBe(broker.issuer);
    expect(metadata.token_endpoint).toBe(`${broker.issuer}/oauth2/token`);
  });

  it('clientCredentialsGrant with PrivateKeyJwt', async () => {
    const tokens = await openid.clientCredentialsGrant(config, { scope: 'read' });
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(tokens.scope).toBe('read');
    expect(tokens.expires_in).toBeGreaterThan(0);
    expect(await introspect(tokens.access_token)).toMatchObject({ active: true, client_id: client.client_id, scope: 'read' });
  });

  it('genericGrantRequest for the jwt-bearer grant with PrivateKeyJwt', async () => {
    const assertion = await signAssertion(issuerKey, assertionClaims({ iss: ISSUER, sub: 'alice', aud: broker.issuer }));
    const tokens = await openid.genericGrantRequest(config, JWT_BEARER_GRANT, { assertion, scope: 'read write' });
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(await introspect(tokens.access_token)).toMatchObject({ active: true, sub: 'alice', idp: ISSUER, aud: API, client_id: client.client_id });
  });

  it('a failed grant surfaces as the OAuth error the library understands', async () => {
    const assertion = await signAssertion(issuerKey, assertionClaims({ iss: ISSUER, sub: 'alice', aud: 'https://someone-else.example' }));
    await expect(openid.genericGrantRequest(config, JWT_BEARER_GRANT, { assertion })).rejects.toMatchObject({ error: 'invalid_grant', status: 400 });
  });
});

describe('openid-client v6: grants checked against the broker JWKS', () => {
  it('exchanges a partner assertion with genericGrantRequest and PrivateKeyJwt', async () => {
    const assertionFor = () => signAssertion(issuerKey, assertionClaims({ iss: ISSUER, sub: 'alice', aud: broker.issuer }));
    const response = await eventually(async () => {
      try {
        return await openid.genericGrantRequest(config, JWT_BEARER_GRANT, { assertion: await assertionFor(), scope: 'read' });
      } catch {
        return undefined; // the registry's changes may still be on their way
      }
    }, 10_000, 100);
    expect(response.token_type).toBe('bearer');
    expect(response.scope).toBe('read');
    const { payload } = await jwtVerify(response.access_token, createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!)), { issuer: broker.issuer, typ: 'at+jwt' });
    expect(payload).toMatchObject({ sub: 'alice', client_id: client.client_id, idp: ISSUER, aud: API });
  });

  it('gets a client_credentials token with PrivateKeyJwt', async () => {
    const response = await openid.clientCredentialsGrant(config, { scope: 'write' });
    expect(response.scope).toBe('write');
    const { payload } = await jwtVerify(response.access_token, createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!)), { issuer: broker.issuer, typ: 'at+jwt' });
    expect(payload).toMatchObject({ sub: client.client_id, client_id: client.client_id, aud: broker.issuer });
  });

  it('surfaces the broker error to the library: an unknown scope is invalid_scope', async () => {
    await expect(openid.clientCredentialsGrant(config, { scope: 'admin' })).rejects.toMatchObject({ error: 'invalid_scope' });
  });
});

describe('refresh tokens (openid-client refreshTokenGrant)', () => {
  const refreshingAssertion = () => signAssertion(issuerKey, assertionClaims({ iss: REFRESHING_ISSUER, sub: 'bob', aud: broker.issuer }));

  async function grantWithRetry(run: () => Promise<openid.TokenEndpointResponse>): Promise<openid.TokenEndpointResponse> {
    return eventually(async () => {
      try {
        return await run();
      } catch {
        return undefined; // the registry's changes may still be on their way
      }
    }, 10_000, 100);
  }

  it('a confidential client (PrivateKeyJwt) refreshes, and its rotated token cannot be used twice', async () => {
    const first = await grantWithRetry(async () => openid.genericGrantRequest(config, JWT_BEARER_GRANT, { assertion: await refreshingAssertion() }));
    expect(first.refresh_token).toEqual(expect.any(String));
    const refreshed = await openid.refreshTokenGrant(config, first.refresh_token!);
    expect(refreshed.token_type).toBe('bearer');
    expect(refreshed.refresh_token).not.toBe(first.refresh_token);
    const { payload } = await jwtVerify(refreshed.access_token, createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!)), { issuer: broker.issuer, typ: 'at+jwt' });
    expect(payload).toMatchObject({ sub: 'bob', idp: REFRESHING_ISSUER, client_id: client.client_id, scope: 'read' });
    await expect(openid.refreshTokenGrant(config, first.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('a public client with getDPoPHandle: DPoP-bound tokens, refreshed with the same key', async () => {
    const publicClient = await broker.admin.createClient({ token_endpoint_auth_method: 'none', grant_types: [JWT_BEARER_GRANT, 'refresh_token'], scope: 'read' });
    const publicConfig = await openid.discovery(new URL(broker.issuer), publicClient.client_id, { token_endpoint_auth_method: 'none' }, openid.None(), {
      algorithm: 'oauth2',
      execute: [openid.allowInsecureRequests],
    });
    const keyPair = await openid.randomDPoPKeyPair('ES256');
    const DPoP = openid.getDPoPHandle(publicConfig, keyPair);
    const first = await grantWithRetry(async () => openid.genericGrantRequest(publicConfig, JWT_BEARER_GRANT, { assertion: await refreshingAssertion() }, { DPoP }));
    expect(first.token_type).toBe('dpop');
    expect(first.refresh_token).toEqual(expect.any(String));
    const jkt = await calculateJwkThumbprint(await exportJWK(keyPair.publicKey), 'sha256');
    expect(decodeJwt(first.access_token).cnf).toEqual({ jkt });

    const refreshed = await openid.refreshTokenGrant(publicConfig, first.refresh_token!, undefined, { DPoP });
    expect(refreshed.token_type).toBe('dpop');
    expect(decodeJwt(refreshed.access_token).cnf).toEqual({ jkt });

    // Another key (a thief's) cannot use the bound refresh token.
    const otherDPoP = openid.getDPoPHandle(publicConfig, await openid.randomDPoPKeyPair('ES256'));
    await expect(openid.refreshTokenGrant(publicConfig, refreshed.refresh_token!, undefined, { DPoP: otherDPoP })).rejects.toMatchObject({ error: 'invalid_grant' });
    const again = await openid.refreshTokenGrant(publicConfig, refreshed.refresh_token!, undefined, { DPoP });
    expect(again.token_type).toBe('dpop');
  });
});

describe('oauth4webapi', () => {
  it('validates the access token as a resource server would (RFC 9068, keys from the JWKS)', async () => {
    const tokens = await openid.clientCredentialsGrant(config, { scope: 'read', resource: broker.issuer });
    const request = new Request('https://api.example/resource', { headers: { authorization: `Bearer ${tokens.access_token}` } });
    const claims = await oauth.validateJwtAccessToken(as, request, broker.issuer, { [oauth.allowInsecureRequests]: true });
    expect(claims).toMatchObject({ iss: broker.issuer, client_id: client.client_id, scope: 'read' });
  });

  it('introspection with private_key_jwt: active, then inactive once revoked with private_key_jwt', async () => {
    const tokens = await openid.clientCredentialsGrant(config, { scope: 'read' });
    expect((await introspect(tokens.access_token)).active).toBe(true);
    const response = await oauth.revocationRequest(as, oauthClient(), oauthClientAuth(), tokens.access_token, { [oauth.allowInsecureRequests]: true });
    await oauth.processRevocationResponse(response);
    expect(await introspect(tokens.access_token)).toEqual({ active: false });
  });

  it('introspection of garbage is inactive, not an error', async () => {
    expect(await introspect('not-a-token')).toEqual({ active: false });
  });
});
