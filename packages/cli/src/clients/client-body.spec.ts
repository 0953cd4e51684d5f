import { buildClientBody, checkNewClient, expandGrantType } from './client-body';
import { JWT_BEARER_GRANT } from '../token/token-request';

describe('buildClientBody', () => {
  it('maps flags to RFC 7591 names and expands the short grant name', () => {
    expect(
      buildClientBody({
        clientId: 'svc',
        name: 'Service',
        authMethod: 'client_secret_basic',
        signingAlg: 'ES256',
        grantTypes: ['jwt-bearer', 'client_credentials'],
        scope: 'read write',
        assertionReuse: true,
        assertionMaxLifetime: 3600,
        introspectionAudiences: ['https://api.example', 'svc'],
      }),
    ).toEqual({
      client_id: 'svc',
      client_name: 'Service',
      token_endpoint_auth_method: 'client_secret_basic',
      token_endpoint_auth_signing_alg: 'ES256',
      grant_types: [JWT_BEARER_GRANT, 'client_credentials'],
      scope: 'read write',
      client_assertion_reuse: true,
      client_assertion_max_lifetime_s: 3600,
      introspection_audiences: ['https://api.example', 'svc'],
    });
  });

  it.each([
    ['jwt-bearer', JWT_BEARER_GRANT],
    ['client_credentials', 'client_credentials'],
    [JWT_BEARER_GRANT, JWT_BEARER_GRANT],
  ])('expandGrantType(%s) = %s', (short, full) => {
    expect(expandGrantType(short)).toBe(full);
  });
});

describe('checkNewClient', () => {
  it.each([
    [{}, true],
    [{ token_endpoint_auth_method: 'private_key_jwt' }, true],
    [{ token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'https://c/jwks' }, false],
    [{ jwks: { keys: [] } }, false],
    [{ token_endpoint_auth_method: 'client_secret_basic' }, false],
    [{ token_endpoint_auth_method: 'none' }, false],
  ])('%j needs keys: %s', (body, fails) => {
    if (fails) expect(() => checkNewClient(body)).toThrow('needs --jwks-file or --jwks-uri');
    else expect(() => checkNewClient(body)).not.toThrow();
  });
});
