/**
 * Interoperability with real client libraries, over HTTP against the real processes:
 * - openid-client v6: discovery (RFC 8414), the jwt-bearer grant through
 *   `genericGrantRequest` and `clientCredentialsGrant`, both with `PrivateKeyJwt`
 *   (client assertions with `aud` = the issuer identifier);
 * - oauth4webapi: introspection and revocation with `private_key_jwt`, and a resource
 *   server's RFC 9068 check of the access token (`validateJwtAccessToken`).
 */
import * as oauth from 'oauth4webapi';
import * as openid from 'openid-client';
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

jest.setTimeout(180_000);

const ISSUER = 'https://partner-idp.example';
const API = 'https://api.example';

let env: BrokerEnvironment;
let broker: TokenServiceInstance;
let issuerKey: PartyKey;
let clientKey: PartyKey;
let client: CreatedClient;
let config: openid.Configuration;
let as: oauth.AuthorizationServer;

beforeAll(async () => {
  env = await startBrokerEnvironment('interop');
  broker = await startTokenService(env);
  [issuerKey, clientKey] = await Promise.all([generatePartyKey('ES256', 'partner-key'), generatePartyKey('ES256', 'interop-client-key')]);
  await env.admin.createIssuer({ issuer: ISSUER, jwks: jwksOf(issuerKey), subjects: ['*'], allowed_scopes: ['read', 'write'], audiences: [API] });
  client = await env.admin.createClient({
    token_endpoint_auth_method: 'private_key_jwt',
    jwks: jwksOf(clientKey),
    grant_types: ['client_credentials', JWT_BEARER_GRANT],
    scope: 'read write',
  });
  const clientAuth = openid.PrivateKeyJwt({ key: clientKey.privateKey, kid: clientKey.kid });
  config = await openid.discovery(new URL(broker.issuer), client.client_id, {}, clientAuth, {
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

afterAll(async () => {
  await broker?.process.stop();
  await env?.stop();
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
