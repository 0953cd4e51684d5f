/**
 * The two JWT bearer flows people know best, sent by the clients written for them, with
 * only the token URL changed (CONTRACT.md: `subject_from_issuer`, the `scope` claim):
 *
 * - Google's service-account flow, sent by google-auth-library's `JWT` client (the
 *   library behind every Google API client for Node). Shape, from
 *   https://developers.google.com/identity/protocols/oauth2/service-account#authorizingrequests
 *   ("Preparing to make an authorized API call" > HTTP/REST): header `{"alg":"RS256","typ":"JWT"}`
 *   (the library sends `{"alg":"RS256"}`), claims `iss` = the service account's email, `scope`
 *   = space-delimited scopes, `aud` = the token endpoint URL, `exp` = `iat` + 1 hour at
 *   most, no `sub` (only for domain-wide delegation), no `jti`. The service account's
 *   public keys are published as a JWKS at
 *   https://www.googleapis.com/service_accounts/v1/jwk/{email} (same page, "Service account
 *   credentials"), served here on loopback. The library hard-codes Google's token URL in
 *   the request and in `aud`: the test changes exactly those two (`aud` through the
 *   library's `additionalClaims`, the URL through its own transporter's interceptor).
 * - Salesforce's OAuth 2.0 JWT bearer flow for server-to-server integration, sent with
 *   jsforce's `OAuth2.requestToken` (jsforce 3.10.14: the last release for Node 20). Shape, from
 *   https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_jwt_flow.htm
 *   ("Create a JWT"): header `{"alg":"RS256"}`, `iss` = the connected app's client id
 *   (consumer key), `sub` = the user's username, `aud` = the authorization server
 *   (`https://login.salesforce.com` there, `BROKER_ISSUER` here), `exp` within 3 minutes,
 *   no `iat`, no `jti`; the app's certificate is uploaded to Salesforce, so here the
 *   admin registers its public key inline.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { JWT } from 'google-auth-library';
import { decodeJwt, SignJWT } from 'jose';
import * as jsforce from 'jsforce';
import { eventually, JWT_BEARER_GRANT, startLoopbackIdp, type CreatedIssuer, type LoopbackIdp, postForm } from '@trust-broker/testing';
import { useBroker } from './support/use-broker';

const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';

const broker = useBroker('jwt-clients');
let idp: LoopbackIdp;

beforeAll(async () => {
  idp = await startLoopbackIdp();
});

afterAll(async () => {
  await idp?.close();
});

/** Waits until the registry holds the issuer's fetched keys. */
async function keysFetched(issuer: CreatedIssuer): Promise<void> {
  await eventually(async () => ((await broker.admin.request('GET', `/v1/issuers/${issuer.id}/jwks`)).body.keys as unknown[]).length > 0, 15_000);
}

describe("Google's service-account JWT bearer flow (google-auth-library)", () => {
  const email = 'broker-caller@partner-project.iam.gserviceaccount.com';
  const privateKeyId = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyPem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  let issuer: CreatedIssuer;

  /** The client as a Google API user writes it, with the token URL pointed at the broker. */
  function googleClient(scopes: string[]): JWT {
    const client = new JWT({ email, key: privateKeyPem, keyId: privateKeyId, scopes, additionalClaims: { aud: broker.tokenEndpoint } });
    client.transporter.interceptors.request.add({
      resolved: async (request) => {
        if (String(request.url) === GOOGLE_TOKEN_URL) request.url = new URL(broker.tokenEndpoint);
        return request;
      },
    });
    return client;
  }

  beforeAll(async () => {
    // Google's JWKS for a service account: RS256 keys, `kid` = the key's private_key_id.
    const path = `/service_accounts/v1/jwk/${email}`;
    idp.serve(path, { keys: [{ ...pair.publicKey.export({ format: 'jwk' }), kid: privateKeyId, alg: 'RS256', use: 'sig' }] }, 'application/json; charset=UTF-8');
    issuer = await broker.admin.createIssuer({
      issuer: email,
      jwks_uri: `${idp.url}${path}`,
      subjects: [email],
      subject_from_issuer: true,
      require_jti: false,
      max_assertion_lifetime_s: 3600,
      allowed_scopes: ['read', 'write'],
    });
    await keysFetched(issuer);
  });

  it('gets a token for the scope its scope claim asks, with the service account as subject', async () => {
    const credentials = await eventually(async () => (await googleClient(['read']).authorize().catch(() => undefined)) ?? undefined, 15_000);
    expect(credentials.token_type).toBe('Bearer');
    const token = decodeJwt(credentials.access_token!);
    expect(token).toMatchObject({ sub: email, idp: email, scope: 'read', iss: broker.issuer });
    const both = await googleClient(['read', 'write']).authorize();
    expect(decodeJwt(both.access_token!).scope).toBe('read write');
  });

  it('refuses a scope claim outside what the issuer allows', async () => {
    await expect(googleClient(['admin']).authorize()).rejects.toThrow(/invalid_scope|scope not allowed/);
  });

  it('sends what Google documents: no sub, no jti, aud the token URL, one hour, a scope claim', async () => {
    // The same assertion by hand, as the HTTP/REST tab of Google's page builds it.
    const now = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({ iss: email, scope: 'write', aud: broker.tokenEndpoint, iat: now, exp: now + 3600 })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
      .sign(pair.privateKey);
    const answer = await postForm(broker.tokenEndpoint, { grant_type: JWT_BEARER_GRANT, assertion });
    expect(answer.status).toBe(200);
    expect(answer.body.scope).toBe('write');
    // an explicit scope parameter wins over the claim
    const again = await new SignJWT({ iss: email, scope: 'write', aud: broker.tokenEndpoint, iat: now, exp: now + 3600 }).setProtectedHeader({ alg: 'RS256', typ: 'JWT' }).sign(pair.privateKey);
    const withParameter = await postForm(broker.tokenEndpoint, { grant_type: JWT_BEARER_GRANT, assertion: again, scope: 'read' });
    expect(withParameter.body.scope).toBe('read');
    // a scope claim that is not a string is refused, never read as "all allowed scopes"
    const arrayScope = await new SignJWT({ iss: email, scope: ['read'], aud: broker.tokenEndpoint, iat: now, exp: now + 3600 }).setProtectedHeader({ alg: 'RS256' }).sign(pair.privateKey);
    const refused = await postForm(broker.tokenEndpoint, { grant_type: JWT_BEARER_GRANT, assertion: arrayScope });
    expect(refused).toMatchObject({ status: 400, body: { error: 'invalid_scope' } });
  });

  it('needs subject_from_issuer: without it the same client is refused for the missing sub', async () => {
    await broker.admin.updateIssuer(issuer.id, { subject_from_issuer: false });
    const refused = await eventually(async () => {
      const error = (await googleClient(['read']).authorize().then(() => undefined, (caught: unknown) => caught)) as Error | undefined;
      return error && /sub/.test(error.message) ? error : undefined;
    }, 15_000);
    expect(refused.message).toMatch(/invalid_grant|"sub"/);
    await broker.admin.updateIssuer(issuer.id, { subject_from_issuer: true });
    await eventually(async () => (await googleClient(['read']).authorize().catch(() => undefined)) ?? undefined, 15_000);
  });
});

describe("Salesforce's JWT bearer flow (jsforce)", () => {
  const consumerKey = '3MVG9PartnerConnectedAppConsumerKey.' + randomUUID().replace(/-/g, '');
  const username = 'integration.user@partner.example';
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });

  const salesforceAssertion = (claims: Record<string, unknown> = {}) =>
    new SignJWT({ iss: consumerKey, sub: username, aud: broker.issuer, exp: Math.floor(Date.now() / 1000) + 180, ...claims }).setProtectedHeader({ alg: 'RS256' }).sign(pair.privateKey);

  const oauth2 = () => new jsforce.OAuth2({ authzServiceUrl: `${broker.issuer}/authorize`, tokenServiceUrl: broker.tokenEndpoint });

  beforeAll(async () => {
    // The certificate uploaded to the connected app: its public key, registered inline (no kid, no alg).
    await broker.admin.createIssuer({
      issuer: consumerKey,
      jwks: { keys: [{ ...pair.publicKey.export({ format: 'jwk' }) }] },
      subjects: [username],
      require_jti: false,
      allowed_scopes: ['api'],
    });
  });

  it('gets a token for the user named in sub, from jsforce pointed at the broker', async () => {
    const answer = await eventually(
      async () => (await oauth2().requestToken({ grant_type: JWT_BEARER_GRANT, assertion: await salesforceAssertion() }).catch(() => undefined)) ?? undefined,
      15_000,
    );
    const body = answer as unknown as Record<string, string>;
    expect(body.token_type).toBe('Bearer');
    expect(decodeJwt(body.access_token!)).toMatchObject({ sub: username, idp: consumerKey, scope: 'api', iss: broker.issuer });
  });

  it('refuses, through jsforce, a user the admin did not list and an aud of Salesforce itself', async () => {
    await expect(oauth2().requestToken({ grant_type: JWT_BEARER_GRANT, assertion: await salesforceAssertion({ sub: 'someone.else@partner.example' }) })).rejects.toMatchObject({ name: 'invalid_grant' });
    await expect(oauth2().requestToken({ grant_type: JWT_BEARER_GRANT, assertion: await salesforceAssertion({ aud: 'https://login.salesforce.com' }) })).rejects.toMatchObject({ name: 'invalid_grant' });
  });
});
