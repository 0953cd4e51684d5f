/**
 * Interop with a real client library (issue 4): openid-client v6 discovers the broker
 * (RFC 8414), authenticates with `PrivateKeyJwt` (its client assertions name the issuer
 * identifier as `aud`, as rfc7523bis asks) and runs the jwt-bearer grant
 * (`genericGrantRequest`) and `clientCredentialsGrant`.
 */
import * as client from 'openid-client';
import { jwtVerify, createRemoteJWKSet } from 'jose';
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
    grant_types: [JWT_BEARER_GRANT, 'client_credentials'],
    scope: 'read write',
  });
  await env.admin.createIssuer({ issuer: ISS, jwks: jwksOf(issuerKey), subjects: ['*'], allowed_scopes: ['read'], audiences: ['https://api.example'] });
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
