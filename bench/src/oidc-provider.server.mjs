/**
 * node-oidc-provider (npm, v9) configured for workload (b) only, as the reference the
 * benchmark compares against: one client with private_key_jwt (ES256, inline jwks),
 * client_credentials, and resource indicators so that access tokens are JWTs signed with
 * ES256 (it makes JWT access tokens only for resource servers). Runs as its own process,
 * like token-service, so that both get the same share of the machine.
 *
 * Input (JSON in the environment variable OIDC_BENCH_CONFIG):
 *   { port, issuer, clientId, clientJwk (public), signingJwk (private), resource, scope }
 * Prints "listening" when ready.
 */
import Provider from 'oidc-provider';

/**
 * @type {{ port: number, issuer: string, clientId: string, clientJwk: import('oidc-provider').JWK, signingJwk: import('oidc-provider').JWK,
 *   resource: string, scope: string }}
 */
const { port, issuer, clientId, clientJwk, signingJwk, resource, scope } = JSON.parse(process.env.OIDC_BENCH_CONFIG ?? '{}');

/** @type {import('oidc-provider').ResourceServer} */
const resourceServer = {
  scope,
  audience: resource,
  accessTokenFormat: 'jwt',
  accessTokenTTL: 600,
  jwt: { sign: { alg: 'ES256' } },
};

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'ES256',
      jwks: { keys: [clientJwk] },
      // Its client metadata checks want every signed response in an algorithm it has a key for.
      id_token_signed_response_alg: 'ES256',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      scope,
    },
  ],
  jwks: { keys: [signingJwk] },
  scopes: [scope],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource,
      getResourceServerInfo: () => resourceServer,
      useGrantedResource: () => true,
    },
  },
});
// Its development warnings would otherwise go to the console for every start.
provider.on('server_error', (_ctx, error) => console.error(`oidc-provider server_error: ${error.message}`));

const server = provider.listen(port, '127.0.0.1', () => console.log('listening'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
