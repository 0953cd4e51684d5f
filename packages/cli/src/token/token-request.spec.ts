import { generateKeyPairSync } from 'node:crypto';
import { jwtVerify } from 'jose';
import { encodeBasicAuth } from '../api/api-client';
import { buildClientAuthentication, buildGrantForm, siblingEndpoint } from './token-request';

// The RFCs' values written out, so the forms are checked against the RFCs, not against the code's constants.
const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const JWT_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:jwt';
const ID_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token';

describe('buildGrantForm', () => {
  it.each([
    [{ grantType: 'jwt-bearer', assertion: 'x.y.z' }, { grant_type: JWT_BEARER_GRANT, assertion: 'x.y.z' }],
    [{ grantType: 'jwt-bearer', assertion: 'x.y.z', scope: 'a b', resource: 'https://api' }, { grant_type: JWT_BEARER_GRANT, assertion: 'x.y.z', scope: 'a b', resource: 'https://api' }],
    [{ grantType: 'client_credentials', audience: 'api', scope: '' }, { grant_type: 'client_credentials', audience: 'api' }],
  ] as const)('%j -> %j', (grant, form) => {
    expect(buildGrantForm(grant)).toEqual(form);
  });

  it.each([
    [{ grantType: 'jwt-bearer' }, 'a jwt-bearer grant needs --assertion'],
    [{ grantType: 'jwt-bearer', assertion: '' }, 'a jwt-bearer grant needs --assertion'],
    [{ grantType: 'client_credentials', assertion: 'x.y.z' }, '--assertion is only for the jwt-bearer grant'],
  ] as const)('%j -> %s', (grant, message) => {
    expect(() => buildGrantForm(grant)).toThrow(message);
  });
});

describe('buildClientAuthentication', () => {
  it('none: only client_id, or nothing', async () => {
    await expect(buildClientAuthentication({ method: 'none', clientId: 'pub' })).resolves.toEqual({ form: { client_id: 'pub' } });
    await expect(buildClientAuthentication({ method: 'none' })).resolves.toEqual({ form: {} });
  });

  it('client_secret_basic: a Basic header, no form fields', async () => {
    await expect(buildClientAuthentication({ method: 'client_secret_basic', clientId: 'c', clientSecret: 's' })).resolves.toEqual({
      form: {},
      basicAuth: { username: 'c', password: 's' },
    });
  });

  it('client_secret_post: both in the form', async () => {
    await expect(buildClientAuthentication({ method: 'client_secret_post', clientId: 'c', clientSecret: 's' })).resolves.toEqual({
      form: { client_id: 'c', client_secret: 's' },
    });
  });

  it('private_key_jwt: a signed client assertion with iss = sub = client_id and aud = the broker issuer alone', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const { form, basicAuth } = await buildClientAuthentication({
      method: 'private_key_jwt',
      clientId: 'svc',
      signingKey: { key: privateKey, alg: 'ES256', kid: 'c1' },
      audience: 'https://broker.example',
    });
    expect(basicAuth).toBeUndefined();
    expect(form.client_assertion_type).toBe(CLIENT_ASSERTION_TYPE);
    const { payload, protectedHeader } = await jwtVerify(form.client_assertion!, publicKey, { algorithms: ['ES256'] });
    expect(protectedHeader).toEqual({ alg: 'ES256', kid: 'c1', typ: 'client-authentication+jwt' });
    expect(payload).toMatchObject({ iss: 'svc', sub: 'svc', aud: 'https://broker.example' });
    expect(typeof payload.jti).toBe('string');
    expect(payload.exp! - payload.iat!).toBe(60);
  });

  it('client_secret_jwt: HS256 over the secret', async () => {
    const secret = 'a-long-shared-secret-of-at-least-32-bytes!!';
    const { form } = await buildClientAuthentication({ method: 'client_secret_jwt', clientId: 'svc', clientSecret: secret, audience: 'https://b' });
    const { payload, protectedHeader } = await jwtVerify(form.client_assertion!, new TextEncoder().encode(secret), { algorithms: ['HS256'] });
    expect(protectedHeader).toEqual({ alg: 'HS256', typ: 'client-authentication+jwt' });
    expect(payload).toMatchObject({ iss: 'svc', sub: 'svc', aud: 'https://b' });
  });
});

describe('encodeBasicAuth (RFC 6749 §2.3.1 form-encodes before base64)', () => {
  it.each([
    ['c', 's', 'c:s'],
    ['client id', 'p:ss', 'client+id:p%3Ass'],
    ['ü', '%', '%C3%BC:%25'],
  ])('%j %j -> %j', (user, password, decoded) => {
    const header = encodeBasicAuth(user, password);
    expect(header.startsWith('Basic ')).toBe(true);
    expect(Buffer.from(header.slice(6), 'base64').toString()).toBe(decoded);
  });
});

describe('siblingEndpoint', () => {
  it.each([
    ['http://localhost:8080/oauth2/token', 'introspect', 'http://localhost:8080/oauth2/introspect'],
    ['https://b.example/oauth2/token', 'revoke', 'https://b.example/oauth2/revoke'],
  ] as const)('%s + %s', (tokenUrl, name, expected) => {
    expect(siblingEndpoint(tokenUrl, name)).toBe(expected);
  });
});

describe('token exchange (RFC 8693)', () => {
  it.each([
    [{ grantType: 'token-exchange', subjectToken: 's.t.j' }, { grant_type: TOKEN_EXCHANGE_GRANT, subject_token: 's.t.j', subject_token_type: JWT_TOKEN_TYPE }],
    [
      { grantType: 'token-exchange', subjectToken: 's.t.j', subjectTokenType: 'id_token', actorToken: 'a.t.j', scope: 'read', audience: 'https://api' },
      { grant_type: TOKEN_EXCHANGE_GRANT, subject_token: 's.t.j', subject_token_type: ID_TOKEN_TYPE, actor_token: 'a.t.j', actor_token_type: JWT_TOKEN_TYPE, scope: 'read', audience: 'https://api' },
    ],
    [
      { grantType: 'token-exchange', subjectToken: 's.t.j', audience: ['https://a', 'https://b'], resource: ['https://r'] },
      { grant_type: TOKEN_EXCHANGE_GRANT, subject_token: 's.t.j', subject_token_type: JWT_TOKEN_TYPE, audience: ['https://a', 'https://b'], resource: ['https://r'] },
    ],
    [{ grantType: 'token-exchange', subjectToken: 's.t.j', audience: [] }, { grant_type: TOKEN_EXCHANGE_GRANT, subject_token: 's.t.j', subject_token_type: JWT_TOKEN_TYPE }],
  ] as const)('%j -> %j', (grant, form) => {
    expect(buildGrantForm(grant)).toEqual(form);
  });

  it.each([
    [{ grantType: 'token-exchange' }, 'a token exchange needs --subject-token'],
    [{ grantType: 'token-exchange', subjectToken: 's', assertion: 'x' }, '--assertion is only for the jwt-bearer grant'],
    [{ grantType: 'client_credentials', subjectToken: 's' }, '--subject-token and --actor-token are only for token exchange'],
  ] as const)('%j -> %s', (grant, message) => {
    expect(() => buildGrantForm(grant)).toThrow(message);
  });

  it('federated_jwt: the workload token as client_assertion, with client_id', async () => {
    expect(await buildClientAuthentication({ method: 'federated_jwt', clientId: 'ci', assertion: 'w.t.j' })).toEqual({
      form: { client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: 'w.t.j', client_id: 'ci' },
    });
  });
});
