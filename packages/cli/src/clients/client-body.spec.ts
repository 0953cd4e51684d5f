import { buildClientBody, checkNewClient, expandGrantType, parseFederatedCredential } from './client-body';

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
      grant_types: ['urn:ietf:params:oauth:grant-type:jwt-bearer', 'client_credentials'],
      scope: 'read write',
      client_assertion_reuse: true,
      client_assertion_max_lifetime_s: 3600,
      introspection_audiences: ['https://api.example', 'svc'],
    });
  });

  it.each([
    ['jwt-bearer', 'urn:ietf:params:oauth:grant-type:jwt-bearer'],
    ['client_credentials', 'client_credentials'],
    ['urn:ietf:params:oauth:grant-type:jwt-bearer', 'urn:ietf:params:oauth:grant-type:jwt-bearer'],
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

describe('federated_jwt clients', () => {
  it('reads repeated --federated-credential ISSUER=SUBJECT into federated_credentials', () => {
    const credentials = ['https://token.actions.githubusercontent.com=repo:acme/api:ref:refs/heads/main', 'https://k8s.example=system:serviceaccount:ci:deployer'].reduce<
      { issuer: string; subject: string }[] | undefined
    >((previous, value) => parseFederatedCredential(value, previous), undefined);
    expect(buildClientBody({ authMethod: 'federated_jwt', federatedCredential: credentials, grantTypes: ['token-exchange'] })).toEqual({
      token_endpoint_auth_method: 'federated_jwt',
      federated_credentials: [
        { issuer: 'https://token.actions.githubusercontent.com', subject: 'repo:acme/api:ref:refs/heads/main' },
        { issuer: 'https://k8s.example', subject: 'system:serviceaccount:ci:deployer' },
      ],
      grant_types: ['urn:ietf:params:oauth:grant-type:token-exchange'],
    });
  });

  it.each(['no-equals-sign', '=subject-only', 'https://issuer-only='])('refuses --federated-credential %s', (value) => {
    expect(() => parseFederatedCredential(value, undefined)).toThrow('expected ISSUER=SUBJECT');
  });

  it('needs credentials for a new federated_jwt client', () => {
    expect(() => checkNewClient({ token_endpoint_auth_method: 'federated_jwt' })).toThrow('needs --federated-credential');
    expect(() => checkNewClient({ token_endpoint_auth_method: 'federated_jwt', federated_credentials: [{ issuer: 'i', subject: 's' }] })).not.toThrow();
  });
});
