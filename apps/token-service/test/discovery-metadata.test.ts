/**
 * GET /.well-known/oauth-authorization-server (RFC 8414) and GET /.well-known/jwks.json
 * (RFC 7517) end to end: what a client or resource server reads to find the endpoints
 * and verify the broker's access tokens.
 */
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { eventually, type CreatedClient, basicAuthorization, postForm } from '@trust-broker/testing';
import { useBroker } from './support/use-broker';

const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

const broker = useBroker('discovery', { tokenServiceEnv: { TOKEN_SIGNING_ALG: 'EdDSA' } });
let client: CreatedClient;

beforeAll(async () => {
  client = await broker.admin.createClient({ token_endpoint_auth_method: 'client_secret_basic', grant_types: ['client_credentials'], scope: 'read' });
});

async function getJson(path: string): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const response = await fetch(`${broker.url}${path}`);
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
}

describe('GET /.well-known/oauth-authorization-server', () => {
  it('names this issuer and every endpoint under it', async () => {
    const { status, headers, body } = await getJson('/.well-known/oauth-authorization-server');
    expect(status).toBe(200);
    expect(headers.get('content-type')).toMatch(/^application\/json/);
    expect(headers.get('cache-control')).toMatch(/max-age=\d+/);
    expect(body).toMatchObject({
      issuer: broker.issuer,
      token_endpoint: `${broker.issuer}/oauth2/token`,
      jwks_uri: `${broker.issuer}/.well-known/jwks.json`,
      introspection_endpoint: `${broker.issuer}/oauth2/introspect`,
      revocation_endpoint: `${broker.issuer}/oauth2/revoke`,
      response_types_supported: [],
      access_token_signing_alg_values_supported: ['EdDSA'],
    });
    expect(body).not.toHaveProperty('authorization_endpoint');
  });

  it('lists the grant types, auth methods and algorithms actually supported', async () => {
    const { body } = await getJson('/.well-known/oauth-authorization-server');
    expect(body.grant_types_supported).toEqual(['urn:ietf:params:oauth:grant-type:jwt-bearer', 'client_credentials', 'urn:ietf:params:oauth:grant-type:token-exchange', 'refresh_token']);
    // RFC 9449 §5.1: asymmetric algorithms only.
    expect(body.dpop_signing_alg_values_supported).toEqual(expect.arrayContaining(['ES256', 'RS256', 'PS256', 'EdDSA']));
    expect((body.dpop_signing_alg_values_supported as string[]).some((alg) => alg.startsWith('HS') || alg.toLowerCase() === 'none')).toBe(false);
    expect(body.token_endpoint_auth_methods_supported).toEqual(['private_key_jwt', 'client_secret_jwt', 'client_secret_basic', 'client_secret_post', 'federated_jwt', 'none']);
    for (const endpoint of ['introspection', 'revocation']) {
      expect(body[`${endpoint}_endpoint_auth_methods_supported`]).toEqual(['private_key_jwt', 'client_secret_jwt', 'client_secret_basic', 'client_secret_post', 'federated_jwt']);
    }
    for (const endpoint of ['token', 'introspection', 'revocation']) {
      const algorithms = body[`${endpoint}_endpoint_auth_signing_alg_values_supported`] as string[];
      expect(algorithms).toEqual(expect.arrayContaining(['ES256', 'RS256', 'PS256', 'EdDSA', 'HS256']));
      expect(algorithms.map((alg) => alg.toLowerCase())).not.toContain('none');
    }
  });
});

describe('GET /.well-known/jwks.json', () => {
  it('publishes public keys only, short-cached, each with kid, alg and use', async () => {
    const { status, headers, body } = await getJson('/.well-known/jwks.json');
    expect(status).toBe(200);
    expect(headers.get('cache-control')).toBe('public, max-age=300');
    const keys = body.keys as Array<Record<string, unknown>>;
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    expect(typeof keys[0]!.kid).toBe('string');
    for (const member of PRIVATE_JWK_MEMBERS) expect(keys[0]).not.toHaveProperty(member);
  });

  it('verifies an access token from the token endpoint, found through the metadata (jose remote JWKS, typ at+jwt)', async () => {
    const metadata = (await getJson('/.well-known/oauth-authorization-server')).body;
    const answer = await eventually(async () => {
      const attempt = await postForm(metadata.token_endpoint as string, { grant_type: 'client_credentials' }, { authorization: basicAuthorization(client.client_id, client.client_secret!) });
      return attempt.status === 200 ? attempt : undefined;
    }, 10_000);
    const jwks = createRemoteJWKSet(new URL(metadata.jwks_uri as string));
    const { payload, protectedHeader } = await jwtVerify(answer.body.access_token as string, jwks, {
      issuer: metadata.issuer as string,
      typ: 'at+jwt',
      algorithms: ['EdDSA'],
      requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'client_id'],
    });
    expect(protectedHeader).toMatchObject({ alg: 'EdDSA', typ: 'at+jwt' });
    expect(payload.client_id).toBe(client.client_id);
  });
});
