/**
 * Partners as they publish themselves: for each IdP people federate with, a loopback
 * server plays that IdP (its discovery document at its own path, its JWKS with its own
 * members and content type), a token is signed the way that IdP signs (header members,
 * claim shapes, lifetimes), the issuer is registered as an admin would (discovery or
 * jwks_uri, the settings the README's table lists), and the token is exchanged at the
 * real token service (jwt-bearer grant, RFC 7523 §2.1). Keys are generated here (real
 * RSA/EC keys); `x5c` holds the key's own SubjectPublicKeyInfo in DER, not a CA-signed
 * certificate: the broker never reads `x5c` (keys come only from the key set's key
 * members), it only has to accept a set that carries it.
 *
 * Where each shape comes from is written beside each IdP. The one thing changed from the
 * real tokens is `aud`: each names the broker, set the way that IdP lets its users set the
 * audience (a custom audience, an API identifier, a resource server). Entra ID v2.0
 * tokens cannot do that (their `aud` is always the API's client ID), which the Entra case
 * shows and the README's table explains.
 */
import { generateKeyPairSync, randomUUID, sign as signBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import { eventually, JWT_BEARER_GRANT, startLoopbackIdp, type CreatedIssuer, type LoopbackIdp, postForm, type TokenAnswer } from '@trust-broker/testing';
import { useBroker } from './support/use-broker';
import { ecKey, now, pick, rsaKey, serveGitHubActions, serveKubernetes, sign, type SigningKey } from './support/workload-idps';

const broker = useBroker('partner-idps');
const idps: LoopbackIdp[] = [];

beforeAll(async () => {
});

afterAll(async () => {
  await Promise.all(idps.map((idp) => idp.close()));
});

async function newIdp(): Promise<LoopbackIdp> {
  const idp = await startLoopbackIdp();
  idps.push(idp);
  return idp;
}

/** RS256 with node:crypto directly: jose refuses to sign with an RSA key under 2048 bits, a partner's legacy key may still do it. */
function signRs256Raw(key: SigningKey, header: Record<string, unknown>, claims: Record<string, unknown>): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${encode(header)}.${encode(claims)}`;
  return `${input}.${signBytes('sha256', Buffer.from(input), key.privateKey).toString('base64url')}`;
}

function exchange(assertion: string, parameters: Record<string, string> = {}): Promise<TokenAnswer> {
  return postForm(broker.tokenEndpoint, { grant_type: JWT_BEARER_GRANT, assertion, ...parameters });
}

/** Registers the issuer, waits for its keys to be fetched, then exchanges a fresh token until the token service knows them (2 s). */
async function registerAndExchange(registration: Record<string, unknown>, mint: () => Promise<string>, parameters: Record<string, string> = {}) {
  const issuer = await broker.admin.createIssuer(registration);
  const keys = await eventually(async () => {
    const status = (await broker.admin.request('GET', `/v1/issuers/${issuer.id}/jwks`)).body as { keys: unknown[]; last_error: string | null };
    return status.keys.length > 0 ? status : undefined;
  }, 20_000);
  const answer = await eventually(async () => {
    const attempt = await exchange(await mint(), parameters);
    return attempt.status === 200 ? attempt : undefined;
  }, 20_000).catch(async (error: unknown) => {
    const last = await exchange(await mint(), parameters);
    throw new Error(`no token for ${String(registration.issuer)}: ${JSON.stringify(last.body)} (${String(error)})`);
  });
  return { issuer, keys, answer, token: decodeJwt(answer.body.access_token as string) };
}

async function keyStatus(issuer: CreatedIssuer): Promise<{ keys: { kid: string }[]; ignored: { kid: string | null; reason: string }[]; source: string; jwks_uri: string }> {
  return (await broker.admin.request('GET', `/v1/issuers/${issuer.id}/jwks`)).body as never;
}

describe('Keycloak', () => {
  // Realm endpoints and the discovery path: https://www.keycloak.org/securing-apps/oidc-layers
  // ("Available endpoints": /realms/{realm}/.well-known/openid-configuration,
  // /realms/{realm}/protocol/openid-connect/certs). A realm's default key providers are
  // rsa-generated (RS256, use sig) and rsa-enc-generated (RSA-OAEP, use enc), both published
  // with x5c, x5t, x5t#S256: https://www.keycloak.org/docs/latest/server_admin/#rotating-keys
  // and the certs documents quoted in keycloak/keycloak#22667 and greenpau/caddy-security#170.
  // Access token claims (typ "Bearer", azp, sid, realm_access/resource_access roles, scope
  // "openid email profile", aud with "account", 5 min lifetime, a jti):
  // https://www.keycloak.org/docs/latest/server_admin/#_oidc_token_and_saml_assertion_mappers
  // and the default "Access Token Lifespan" of 5 minutes in realm settings > Tokens.
  it('registers by discovery, ignores the realm encryption key, and exchanges an access token', async () => {
    const idp = await newIdp();
    const issuer = `${idp.url}/realms/acme`;
    const signing = rsaKey('l3N1xKzG3cQhT1nfkV5cYR2Ys8mXWcP_ZbM6M7r3lYk');
    const encryption = rsaKey('2Nq8vZgE2Yw0h8Sx4Gx9bI3oJkXoD1w5kQm3pLr7tAc');
    idp.serve('/realms/acme/.well-known/openid-configuration', {
      issuer,
      authorization_endpoint: `${issuer}/protocol/openid-connect/auth`,
      token_endpoint: `${issuer}/protocol/openid-connect/token`,
      jwks_uri: `${issuer}/protocol/openid-connect/certs`,
      id_token_signing_alg_values_supported: ['PS384', 'RS384', 'EdDSA', 'ES384', 'HS256', 'HS512', 'ES256', 'RS256', 'HS384', 'ES512', 'PS256', 'PS512', 'RS512'],
      grant_types_supported: ['authorization_code', 'implicit', 'refresh_token', 'password', 'client_credentials', 'urn:ietf:params:oauth:grant-type:device_code', 'urn:openid:params:grant-type:ciba'],
    });
    idp.serve('/realms/acme/protocol/openid-connect/certs', {
      keys: [
        { kid: encryption.kid, kty: 'RSA', alg: 'RSA-OAEP', use: 'enc', ...pick(encryption.jwk, 'n', 'e'), ...encryption.certificateMembers },
        { kid: signing.kid, kty: 'RSA', alg: 'RS256', use: 'sig', ...pick(signing.jwk, 'n', 'e'), ...signing.certificateMembers },
      ],
    });
    const subject = randomUUID();
    const mint = () => {
      const iat = now();
      return sign(signing, { alg: 'RS256', typ: 'JWT', kid: signing.kid }, {
        exp: iat + 300,
        iat,
        auth_time: iat - 20,
        jti: `onrtac:${randomUUID()}`,
        iss: issuer,
        aud: [broker.issuer, 'account'],
        sub: subject,
        typ: 'Bearer',
        azp: 'partner-cli',
        sid: randomUUID(),
        acr: '1',
        'allowed-origins': ['/*'],
        realm_access: { roles: ['offline_access', 'uma_authorization', 'default-roles-acme'] },
        resource_access: { account: { roles: ['manage-account', 'view-profile'] } },
        scope: 'openid email profile',
        email_verified: true,
        preferred_username: 'alice',
      });
    };
    const { issuer: registered, token } = await registerAndExchange(
      {
        issuer,
        discovery: true,
        subjects: ['*'],
        allowed_scopes: ['openid', 'email', 'profile', 'read'],
        condition: "'default-roles-acme' in claims.realm_access.roles",
      },
      mint,
    );
    // The access token's scope claim is the requested scope (CONTRACT.md).
    expect(token).toMatchObject({ sub: subject, idp: issuer, scope: 'openid email profile' });
    const status = await keyStatus(registered);
    expect(status).toMatchObject({ source: 'discovery', jwks_uri: `${issuer}/protocol/openid-connect/certs` });
    expect(status.keys.map((key) => key.kid)).toEqual([signing.kid]);
    expect(status.ignored).toEqual([{ kid: encryption.kid, reason: 'use: must be "sig"' }]);
    // A token signed with the (ignored) encryption key's private half is refused.
    const withEncryptionKey = await sign(encryption, { alg: 'RS256', typ: 'JWT', kid: encryption.kid }, { ...decodeJwt(await mint()), jti: randomUUID() });
    expect((await exchange(withEncryptionKey)).body).toMatchObject({ error: 'invalid_grant' });
  });
});

describe('Microsoft Entra ID', () => {
  // v2.0 discovery at https://login.microsoftonline.com/{tenant}/v2.0/.well-known/openid-configuration,
  // keys at /{tenant}/discovery/v2.0/keys: RSA keys without alg, with x5t, x5c and Entra's
  // own "issuer" member: https://learn.microsoft.com/en-us/entra/identity-platform/v2-protocols-oidc
  // ("Find your app's OpenID configuration document URI", "Sample response") and
  // https://learn.microsoft.com/en-us/entra/identity-platform/access-tokens ("Validate tokens").
  // Access token claims and header (typ, alg, kid; v1.0 also x5t), lifetime "a random value
  // ranging between 60-90 minutes (75 minutes on average)", nbf = iat, no jti (uti instead),
  // aud: "In v2.0 tokens, this value is always the client ID of the API. In v1.0 tokens, it
  // can be the client ID or the resource URI used in the request":
  // https://learn.microsoft.com/en-us/entra/identity-platform/access-token-claims-reference
  // and https://learn.microsoft.com/en-us/entra/identity-platform/configurable-token-lifetimes.
  const tenant = '72f988bf-86f1-41af-91ab-2d7cd011db47';
  const apiClientId = '6e74172b-be56-4843-9ff4-e66a39bb12e3';

  function entraClaims(iss: string, aud: string, version: '1.0' | '2.0'): Record<string, unknown> {
    const iat = now();
    const common = {
      aud,
      iss,
      iat,
      nbf: iat,
      exp: iat + 4500,
      aio: 'AXQAi/8UAAAA',
      oid: '690222be-ff1a-4d56-abd1-7e4f7d38e474',
      rh: '0.AXQAv4j5cvGGr0GRqy180BHbR.',
      scp: 'access_as_user',
      sub: 'ZDbQk6jPZHnWRrq0U3NeG4-fwWEZpS1vHLl5Qm1w0Gg',
      tid: tenant,
      uti: randomUUID().replace(/-/g, '').slice(0, 22),
      ver: version,
    };
    return version === '2.0'
      ? { ...common, azp: '2e1b6b45-b6c5-4f25-9b32-7bd7f09f8e59', azpacr: '0', name: 'Alice Example', preferred_username: 'alice@contoso.example' }
      : { ...common, acr: '1', amr: ['pwd', 'mfa'], appid: '2e1b6b45-b6c5-4f25-9b32-7bd7f09f8e59', appidacr: '0', family_name: 'Example', given_name: 'Alice', ipaddr: '203.0.113.7', name: 'Alice Example', unique_name: 'alice@contoso.example', upn: 'alice@contoso.example' };
  }

  it('registers the v2.0 endpoint by discovery (keys with Entra\'s issuer member, no alg), and refuses a v2.0 token: its aud is the API\'s client ID, not the broker', async () => {
    const idp = await newIdp();
    const issuer = `${idp.url}/${tenant}/v2.0`;
    const current = rsaKey('ImFmfLLi2y7dfVZBBAJx0TCmyqZ8');
    const next = rsaKey('CNv0OI3RwqlHFEVnaoMAshCH2XE');
    idp.serve(`/${tenant}/v2.0/.well-known/openid-configuration`, {
      token_endpoint: `${idp.url}/${tenant}/oauth2/v2.0/token`,
      jwks_uri: `${idp.url}/${tenant}/discovery/v2.0/keys`,
      issuer,
      id_token_signing_alg_values_supported: ['RS256'],
      tenant_region_scope: 'EU',
    }, 'application/json; charset=utf-8');
    idp.serve(`/${tenant}/discovery/v2.0/keys`, {
      keys: [current, next].map((key) => ({ kty: 'RSA', use: 'sig', kid: key.kid, x5t: key.kid, ...pick(key.jwk, 'n', 'e'), x5c: key.certificateMembers.x5c, issuer })),
    }, 'application/json; charset=utf-8');
    const registered = await broker.admin.createIssuer({ issuer, discovery: true, subjects: ['*'], require_jti: false, max_assertion_lifetime_s: 5400 });
    await eventually(async () => (await keyStatus(registered)).keys.length === 2, 20_000);
    expect((await keyStatus(registered)).ignored).toEqual([]);
    const v2 = await sign(current, { typ: 'JWT', alg: 'RS256', kid: current.kid }, entraClaims(issuer, apiClientId, '2.0'));
    const answer = await eventually(async () => {
      const attempt = await exchange(v2);
      return attempt.body.error_description !== 'The assertion issuer is not trusted' && !/key/.test(String(attempt.body.error_description)) ? attempt : undefined;
    }, 20_000);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: 'invalid_grant' });
    expect(String(answer.body.error_description)).toMatch(/aud/i);
  });

  it('exchanges a v1.0-format token (accessTokenAcceptedVersion 1, Application ID URI = BROKER_ISSUER): x5t header, 75 min, no jti', async () => {
    const idp = await newIdp();
    const issuer = `https://sts.windows.net/${tenant}/`;
    const key = rsaKey('nOo3ZDrODXEK1jKWhXslHR_KXEg');
    idp.serve(`/${tenant}/discovery/v2.0/keys`, {
      keys: [{ kty: 'RSA', use: 'sig', kid: key.kid, x5t: key.kid, ...pick(key.jwk, 'n', 'e'), x5c: key.certificateMembers.x5c, issuer: `https://login.microsoftonline.com/${tenant}/v2.0` }],
    }, 'application/json; charset=utf-8');
    const mint = () => sign(key, { typ: 'JWT', alg: 'RS256', x5t: key.kid, kid: key.kid }, entraClaims(issuer, broker.issuer, '1.0'));
    const { token } = await registerAndExchange(
      { issuer, jwks_uri: `${idp.url}/${tenant}/discovery/v2.0/keys`, subjects: ['*'], require_jti: false, max_assertion_lifetime_s: 5400, condition: `claims.tid == '${tenant}'` },
      mint,
    );
    expect(token).toMatchObject({ sub: 'ZDbQk6jPZHnWRrq0U3NeG4-fwWEZpS1vHLl5Qm1w0Gg', idp: issuer });
    // With the default max_assertion_lifetime_s (300) the same token is too long-lived.
    const strict = await broker.admin.createIssuer({ issuer: `https://sts.windows.net/${randomUUID()}/`, jwks_uri: `${idp.url}/${tenant}/discovery/v2.0/keys`, subjects: ['*'], require_jti: false });
    await eventually(async () => (await keyStatus(strict)).keys.length === 1, 20_000);
    const tooLong = await sign(key, { typ: 'JWT', alg: 'RS256', kid: key.kid }, entraClaims(strict.issuer, broker.issuer, '1.0'));
    const refused = await eventually(async () => {
      const attempt = await exchange(tooLong);
      return /lifetime|long/i.test(String(attempt.body.error_description)) ? attempt : undefined;
    }, 20_000);
    expect(refused.status).toBe(400);
  });
});

describe('Google', () => {
  // Google-signed ID tokens (what a service account, a GCE VM or Cloud Run gets for an
  // audience of its choice: `gcloud auth print-identity-token --audiences=...`, the metadata
  // server's identity?audience=...): iss https://accounts.google.com, aud = the requested
  // audience, sub = the account's numeric id, azp, email, email_verified, exp = iat + 1 h, no
  // jti, no nbf; header alg RS256, kid, typ JWT. Keys at https://www.googleapis.com/oauth2/v3/certs
  // (RSA, alg RS256, use sig, no x5c), served as application/json; charset=UTF-8:
  // https://developers.google.com/identity/openid-connect/openid-connect#an-id-tokens-payload,
  // https://cloud.google.com/compute/docs/instances/verifying-instance-identity#payload and
  // https://cloud.google.com/docs/authentication/get-id-token. (The service-account JWT
  // bearer flow, with subject_from_issuer, is in jwt-bearer-clients.test.ts.)
  it('registers accounts.google.com with its jwks_uri and exchanges an ID token minted for the broker', async () => {
    const idp = await newIdp();
    const keys = [rsaKey('c8ab71530972bba20b49f78a09ad852c43f0d6b0'), rsaKey('5f4d3a4c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e')];
    idp.serve('/oauth2/v3/certs', { keys: keys.map((key) => ({ ...pick(key.jwk, 'n', 'e', 'kty'), alg: 'RS256', use: 'sig', kid: key.kid })) }, 'application/json; charset=UTF-8');
    const accountId = '117283837749836271824';
    const signer = keys[1]!;
    const mint = () => {
      const iat = now();
      return sign(signer, { alg: 'RS256', kid: signer.kid, typ: 'JWT' }, {
        aud: broker.issuer,
        azp: accountId,
        email: 'deployer@partner-project.iam.gserviceaccount.com',
        email_verified: true,
        exp: iat + 3600,
        iat,
        iss: 'https://accounts.google.com',
        sub: accountId,
      });
    };
    const { token } = await registerAndExchange(
      {
        issuer: 'https://accounts.google.com',
        jwks_uri: `${idp.url}/oauth2/v3/certs`,
        subjects: [accountId],
        require_jti: false,
        max_assertion_lifetime_s: 3600,
        condition: "claims.email_verified == true && claims.email.endsWith('@partner-project.iam.gserviceaccount.com')",
      },
      mint,
    );
    expect(token).toMatchObject({ sub: accountId, idp: 'https://accounts.google.com' });
  });
});

describe('Okta', () => {
  // A custom authorization server ("default"): issuer https://{yourOktaDomain}/oauth2/default,
  // RFC 8414 metadata at /.well-known/oauth-authorization-server/oauth2/default (the legacy
  // /oauth2/default/.well-known/... form is not served here), keys at /oauth2/default/v1/keys:
  // https://developer.okta.com/docs/api/openapi/okta-oauth/oauth/tag/CustomAS
  // ("Retrieve the OAuth 2.0 metadata", "List all keys"). Access token (header kid, alg RS256;
  // ver 1, jti "AT.…", cid, uid, scp as an array, aud = the authorization server's audience
  // setting, 1 h by default):
  // https://developer.okta.com/docs/api/openapi/okta-oauth/guides/overview/#access-token-payload
  // and https://developer.okta.com/docs/reference/api/authorization-servers/.
  it('registers /oauth2/default by discovery with only RFC 8414 metadata, and exchanges an access token', async () => {
    const idp = await newIdp();
    const issuer = `${idp.url}/oauth2/default`;
    const key = rsaKey('2mOaT5Q6Q1n0pR8vN3xKJ9tC4yH7uL2wE5sD8fG1hJk');
    idp.serve('/.well-known/oauth-authorization-server/oauth2/default', {
      issuer,
      authorization_endpoint: `${issuer}/v1/authorize`,
      token_endpoint: `${issuer}/v1/token`,
      jwks_uri: `${issuer}/v1/keys`,
      response_types_supported: ['code', 'token', 'id_token', 'code id_token', 'code token', 'id_token token', 'code id_token token'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'none'],
    });
    idp.serve('/oauth2/default/v1/keys', { keys: [{ kty: 'RSA', alg: 'RS256', kid: key.kid, use: 'sig', ...pick(key.jwk, 'e', 'n') }] });
    const mint = () => {
      const iat = now();
      return sign(key, { kid: key.kid, alg: 'RS256' }, {
        ver: 1,
        jti: `AT.${randomUUID().replace(/-/g, '')}`,
        iss: issuer,
        aud: broker.issuer,
        iat,
        exp: iat + 3600,
        cid: '0oa1h2j3k4l5m6n7o8p9',
        uid: '00u1a2b3c4d5e6f7g8h9',
        scp: ['openid', 'read'],
        auth_time: iat - 60,
        sub: 'alice@partner.example',
      });
    };
    const { token, issuer: registered } = await registerAndExchange(
      { issuer, discovery: true, subjects: ['*'], max_assertion_lifetime_s: 3600, allowed_scopes: ['read'], condition: "'read' in claims.scp" },
      mint,
    );
    // scp is not the scope claim: nothing requested gives the issuer's allowed scopes.
    expect(token).toMatchObject({ sub: 'alice@partner.example', idp: issuer, scope: 'read' });
    expect((await keyStatus(registered)).source).toBe('discovery');
    expect(idps.at(-1)!.hits('/oauth2/default/.well-known/oauth-authorization-server')).toBe(0);
  });
});

describe('Auth0', () => {
  // Tenant issuer with a trailing slash (https://{tenant}.auth0.com/), discovery at
  // /.well-known/openid-configuration, keys at /.well-known/jwks.json (RSA, RS256, use sig,
  // x5c, x5t): https://auth0.com/docs/get-started/applications/signing-algorithms and
  // https://auth0.com/docs/secure/tokens/json-web-tokens/json-web-key-sets. Access token
  // (header alg, typ JWT, kid; aud an array of the API identifier and /userinfo; azp,
  // scope, permissions; no jti): https://auth0.com/docs/secure/tokens/access-tokens/access-token-profiles
  // ("auth0" profile). An API's token lifetime is its "Token Expiration" setting (here 1 h).
  it('registers a tenant with a trailing-slash issuer by discovery and exchanges an access token with an aud array', async () => {
    const idp = await newIdp();
    const issuer = `${idp.url}/`;
    const key = rsaKey('NkJCQzIyQzRBMEU4NjhGNUU4MzU4RkY0M0ZDQzkwOUQ0Q0VGNUMwQg');
    idp.serve('/.well-known/openid-configuration', {
      issuer,
      authorization_endpoint: `${idp.url}/authorize`,
      token_endpoint: `${idp.url}/oauth/token`,
      userinfo_endpoint: `${idp.url}/userinfo`,
      jwks_uri: `${idp.url}/.well-known/jwks.json`,
      id_token_signing_alg_values_supported: ['HS256', 'RS256', 'PS256'],
    });
    idp.serve('/.well-known/jwks.json', { keys: [{ kty: 'RSA', use: 'sig', ...pick(key.jwk, 'n', 'e'), kid: key.kid, x5t: key.certificateMembers.x5t, x5c: key.certificateMembers.x5c, alg: 'RS256' }] });
    const mint = () => {
      const iat = now();
      return sign(key, { alg: 'RS256', typ: 'JWT', kid: key.kid }, {
        iss: issuer,
        sub: 'auth0|6553da60a54af58e29493993',
        aud: [broker.issuer, `${idp.url}/userinfo`],
        iat,
        exp: iat + 3600,
        scope: 'openid profile read:orders',
        azp: 'K1AUPhZq8mRi0Q0pjhkfu1D7y6KjDQja',
        permissions: ['read:orders'],
      });
    };
    const { token } = await registerAndExchange(
      { issuer, discovery: true, subjects: ['*'], require_jti: false, max_assertion_lifetime_s: 3600, allowed_scopes: ['openid', 'profile', 'read:orders'] },
      mint,
      { scope: 'read:orders' },
    );
    // An explicit scope parameter wins over the token's scope claim.
    expect(token).toMatchObject({ sub: 'auth0|6553da60a54af58e29493993', idp: issuer, scope: 'read:orders' });
  });
});

describe('Amazon Cognito', () => {
  // User pool issuer https://cognito-idp.{region}.amazonaws.com/{userPoolId}, discovery at
  // {issuer}/.well-known/openid-configuration, keys at {issuer}/.well-known/jwks.json (RSA,
  // RS256, use sig, kid like "1234example="):
  // https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-tokens-verifying-a-jwt.html.
  // Access token (header kid, alg; sub, cognito:groups, iss, version 2, client_id,
  // origin_jti, event_id, token_use "access", scope, auth_time, exp, iat, jti, username;
  // lifetime 5 min to 1 day, 1 h by default):
  // https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-the-access-token.html.
  // An access token has no aud unless resource binding names a resource server (its
  // identifier is then the aud, here BROKER_ISSUER):
  // https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-define-resource-servers.html#cognito-user-pools-resource-binding.
  it('registers a user pool by discovery and exchanges an access token bound to the broker as resource server', async () => {
    const idp = await newIdp();
    const issuer = `${idp.url}/eu-west-1_AbCdEf123`;
    const accessKey = rsaKey('abcdefghijklmnopqrsexample=');
    const idKey = rsaKey('fgjhlkhjlkhexample=');
    idp.serve('/eu-west-1_AbCdEf123/.well-known/openid-configuration', {
      authorization_endpoint: `${idp.url}/oauth2/authorize`,
      issuer,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      token_endpoint: `${idp.url}/oauth2/token`,
      id_token_signing_alg_values_supported: ['RS256'],
    });
    idp.serve('/eu-west-1_AbCdEf123/.well-known/jwks.json', {
      keys: [accessKey, idKey].map((key) => ({ alg: 'RS256', ...pick(key.jwk, 'e'), kid: key.kid, kty: 'RSA', ...pick(key.jwk, 'n'), use: 'sig' })),
    });
    const mint = () => {
      const iat = now();
      return sign(accessKey, { kid: accessKey.kid, alg: 'RS256' }, {
        sub: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
        'cognito:groups': ['admin'],
        iss: issuer,
        version: 2,
        client_id: '1example23456789',
        origin_jti: randomUUID(),
        event_id: randomUUID(),
        token_use: 'access',
        scope: `${broker.issuer}/orders.read`,
        auth_time: iat - 30,
        exp: iat + 3600,
        iat,
        jti: randomUUID(),
        username: 'alice',
        aud: broker.issuer,
      });
    };
    const { token } = await registerAndExchange(
      { issuer, discovery: true, subjects: ['*'], max_assertion_lifetime_s: 3600, allowed_scopes: [`${broker.issuer}/orders.read`], condition: "claims.token_use == 'access' && 'admin' in claims['cognito:groups']" },
      mint,
    );
    expect(token).toMatchObject({ sub: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', scope: `${broker.issuer}/orders.read` });
  });
});

describe('GitHub Actions', () => {
  // https://docs.github.com/en/actions/reference/security/oidc ("OIDC token claims", the
  // example token) and https://token.actions.githubusercontent.com/.well-known/openid-configuration
  // (jwks_uri .../.well-known/jwks; keys RSA, RS256, use sig, x5c, x5t): header typ JWT, alg
  // RS256, x5t, kid; sub "repo:ORG/REPO:environment:NAME"; a custom aud set with
  // core.getIDToken(audience); nbf 10 minutes before iat, exp 5 minutes after it; a jti.
  it('registers the Actions issuer by discovery and exchanges a job token for a repository environment', async () => {
    const { issuer, key, subject, mint } = serveGitHubActions(await newIdp(), broker.issuer);
    const { token } = await registerAndExchange(
      { issuer, discovery: true, subjects: [subject], allowed_scopes: ['deploy'], condition: "claims.repository_owner == 'octo-org' && claims.runner_environment == 'github-hosted'" },
      mint,
    );
    expect(token).toMatchObject({ sub: subject, idp: issuer, scope: 'deploy' });
    // A job of another repository is refused.
    const other = await sign(key, { typ: 'JWT', alg: 'RS256', kid: key.kid }, { ...decodeJwt(await mint()), jti: randomUUID(), sub: 'repo:evil/fork:environment:prod', repository_owner: 'evil' });
    expect((await exchange(other)).body).toMatchObject({ error: 'invalid_grant' });
  });
});

describe('GitLab CI', () => {
  // https://docs.gitlab.com/ci/secrets/id_token_authentication/ ("Token payload": namespace
  // and project ids and paths, user_*, pipeline_*, job_id, ref, ref_type, ref_path,
  // ref_protected as the string "true", runner_*, sha, ci_config_ref_uri, jti, iss, iat, nbf,
  // exp, sub "project_path:{group}/{project}:ref_type:{type}:ref:{branch_name}", aud from the
  // job's id_tokens: aud) and https://gitlab.com/.well-known/openid-configuration
  // (jwks_uri /oauth/discovery/keys; RSA, RS256, use sig). Lifetime: the job's timeout (1 h by default).
  it('registers the instance by discovery and exchanges a job ID token for a protected branch', async () => {
    const idp = await newIdp();
    const issuer = idp.url;
    const key = rsaKey('4i3sFE7sxqNPOT7FdvcGA1ZVGGI_r-tsDXnEuYT4ZqE');
    idp.serve('/.well-known/openid-configuration', {
      issuer,
      authorization_endpoint: `${issuer}/oauth/authorize`,
      token_endpoint: `${issuer}/oauth/token`,
      jwks_uri: `${issuer}/oauth/discovery/keys`,
      id_token_signing_alg_values_supported: ['RS256'],
    }, 'application/json; charset=utf-8');
    idp.serve('/oauth/discovery/keys', { keys: [{ kty: 'RSA', kid: key.kid, ...pick(key.jwk, 'e', 'n'), use: 'sig', alg: 'RS256' }] }, 'application/json; charset=utf-8');
    const subject = 'project_path:mygroup/myproject:ref_type:branch:ref:main';
    const mint = () => {
      const iat = now();
      return sign(key, { kid: key.kid, typ: 'JWT', alg: 'RS256' }, {
        namespace_id: '72',
        namespace_path: 'mygroup',
        project_id: '20',
        project_path: 'mygroup/myproject',
        user_id: '1',
        user_login: 'sample-user',
        user_email: 'sample-user@example.com',
        user_access_level: 'developer',
        pipeline_id: '574',
        pipeline_source: 'push',
        job_id: '302',
        ref: 'main',
        ref_type: 'branch',
        ref_path: 'refs/heads/main',
        ref_protected: 'true',
        runner_id: 1,
        runner_environment: 'self-hosted',
        sha: '714a629c0b401fdce83e847fc9589983fc6f46bc',
        project_visibility: 'private',
        ci_config_ref_uri: 'gitlab.example.com/mygroup/myproject//.gitlab-ci.yml@refs/heads/main',
        ci_config_sha: '714a629c0b401fdce83e847fc9589983fc6f46bc',
        jti: randomUUID(),
        iss: issuer,
        iat,
        nbf: iat - 5,
        exp: iat + 3600,
        sub: subject,
        aud: broker.issuer,
      });
    };
    const { token } = await registerAndExchange(
      { issuer, discovery: true, subjects: [subject], max_assertion_lifetime_s: 3600, condition: "claims.ref_protected == 'true' && claims.namespace_path == 'mygroup'" },
      mint,
    );
    expect(token).toMatchObject({ sub: subject, idp: issuer });
  });
});

describe('Kubernetes service accounts', () => {
  // Projected service account tokens (aud from the volume's audience, an array; nested
  // "kubernetes.io" object with namespace, pod, serviceaccount, node; nbf = iat; a jti since
  // 1.29; expirationSeconds 1 h by default, at least 10 min):
  // https://kubernetes.io/docs/reference/access-authn-authz/service-accounts-admin/#bound-service-account-token-volume
  // and https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/#serviceaccount-token-volume-projection.
  // Issuer discovery (/.well-known/openid-configuration, jwks_uri /openid/v1/jwks served as
  // application/jwk-set+json; RSA, RS256, use sig):
  // https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/#service-account-issuer-discovery.
  it('registers the cluster issuer by discovery and exchanges a projected token', async () => {
    const { issuer, key, subject, mint } = serveKubernetes(await newIdp(), [broker.issuer]);
    const { token, issuer: registered } = await registerAndExchange(
      { issuer, discovery: true, subjects: [subject], max_assertion_lifetime_s: 3600, condition: "claims['kubernetes.io'].namespace == 'payments'" },
      mint,
    );
    expect(token).toMatchObject({ sub: subject, idp: issuer });
    expect((await keyStatus(registered)).keys.map((k) => k.kid)).toEqual([key.kid]);
  });
});

describe('a key set that mixes usable keys with ones the broker cannot use', () => {
  it('uses only the usable keys: a token signed by an ignored key never verifies, with or without kid', async () => {
    const idp = await newIdp();
    const issuer = `${idp.url}/mixed`;
    const rs = rsaKey('rs-2048');
    const es = ecKey('es-256');
    const weak = rsaKey('rs-1024', 1024);
    const encryption = rsaKey('enc-2048');
    const es256k = ecKey('es-256k', 'secp256k1');
    const offCurve = { ...ecKey('off-curve').jwk };
    const y = Buffer.from(offCurve.y as string, 'base64url');
    y[y.length - 1] = (y[y.length - 1] as number) ^ 1;
    idp.serve('/mixed/jwks', {
      keys: [
        { ...weak.jwk, kid: weak.kid, alg: 'RS256', use: 'sig' },
        { ...encryption.jwk, kid: encryption.kid, alg: 'RSA-OAEP-256', use: 'enc' },
        { ...rs.jwk, kid: rs.kid, use: 'sig', ...rs.certificateMembers },
        { ...es256k.jwk, kid: es256k.kid, alg: 'ES256K' },
        { ...offCurve, y: y.toString('base64url'), kid: 'off-curve', alg: 'ES256' },
        { ...generateKeyPairSync('x25519').publicKey.export({ format: 'jwk' }), kid: 'x25519', use: 'enc' },
        { ...es.jwk, kid: es.kid },
      ],
    }, 'application/jwk-set+json');
    const claims = () => ({ iss: issuer, sub: 'svc-a', aud: broker.issuer, iat: now(), exp: now() + 120, jti: randomUUID() });
    const { issuer: registered, token } = await registerAndExchange({ issuer, jwks_uri: `${idp.url}/mixed/jwks`, subjects: ['*'] }, () => sign(rs, { alg: 'RS256', kid: rs.kid }, claims()));
    expect(token.sub).toBe('svc-a');
    expect((await exchange(await sign(es, { alg: 'ES256', kid: es.kid }, claims()))).status).toBe(200);
    expect((await exchange(await sign(es, { alg: 'ES256' }, claims()))).status).toBe(200);
    const status = await keyStatus(registered);
    expect(status.keys.map((key) => key.kid)).toEqual([rs.kid, es.kid]);
    expect(status.ignored.map((entry) => entry.kid)).toEqual([weak.kid, encryption.kid, es256k.kid, 'off-curve', 'x25519']);
    // The raw signer below makes tokens the broker accepts from a usable key.
    expect((await exchange(signRs256Raw(rs, { alg: 'RS256', kid: rs.kid }, claims()))).status).toBe(200);
    for (const [key, alg] of [[weak, 'RS256'], [encryption, 'RS256'], [encryption, 'PS256']] as const) {
      for (const header of [{ alg, kid: key.kid }, { alg }]) {
        const assertion = alg === 'RS256' ? signRs256Raw(key, header, claims()) : await sign(key, header, claims());
        const refused = await exchange(assertion);
        expect([key.kid, header, refused.status, refused.body.error]).toEqual([key.kid, header, 400, 'invalid_grant']);
      }
    }
  });
});
