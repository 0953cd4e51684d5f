import type { ClientRow } from '@trust-broker/contracts';
import type { FederatedClientPolicy } from '@trust-broker/validation';
import { buildAuthorizationServerMetadata } from '../discovery/authorization-server-metadata';
import type { CachedClient } from '../trust/trust.types';
import { CLIENT_AUTH_METHODS, presentedMethod, SUPPORTED_CLIENT_AUTH_METHODS } from './client-auth-methods';
import type { PresentedCredential } from './detect-client-auth-method';

const policy = { clientId: 'fed', credentials: [], replayNamespace: 'client:fed', reuse: false } as FederatedClientPolicy;
const federated = { row: { client_id: 'fed', token_endpoint_auth_method: 'federated_jwt' } as ClientRow, federatedPolicy: policy } as CachedClient;
const keyBased = { row: { client_id: 'pkj', token_endpoint_auth_method: 'private_key_jwt' } as ClientRow } as CachedClient;
const assertion = { kind: 'assertion', assertion: 'x.y.z' } as const;

describe('the client authentication method table', () => {
  it.each<[string, string, Exclude<PresentedCredential, { kind: 'anonymous' }>]>([
    ['a client_id alone', 'none', { kind: 'client_id_only', clientId: 'c' }],
    ['HTTP Basic', 'client_secret_basic', { kind: 'basic', credentials: { clientId: 'a', secret: 'b' } }],
    ['client_secret in the body', 'client_secret_post', { kind: 'post', clientId: 'c', secret: 's' }],
  ])('%s takes the %s line, without looking any client up', (_label, method, credential) => {
    const findClient = jest.fn();
    expect(presentedMethod(credential, 'c', findClient)).toEqual({ method, credential });
    expect(findClient).not.toHaveBeenCalled();
  });

  it('a client assertion whose client_id names a federated client is federated_jwt, with that client and its policy', () => {
    expect(presentedMethod(assertion, 'fed', (clientId) => (clientId === 'fed' ? federated : undefined))).toEqual({ method: 'federated_jwt', credential: { ...assertion, client: federated, policy } });
  });

  it.each([
    ['no client_id (the assertion names its client)', undefined],
    ['the client_id of a client that is not federated', 'pkj'],
    ['the client_id of no client', 'nobody'],
  ])('a client assertion with %s is verified as the client’s own (private_key_jwt, client_secret_jwt)', (_label, clientId) => {
    const findClient = (id: string) => (id === 'pkj' ? keyBased : id === 'fed' ? federated : undefined);
    expect(presentedMethod(assertion, clientId, findClient)).toEqual({ method: 'client_assertion', credential: assertion });
  });

  it('has a step for every line and no other', () => {
    expect(Object.keys(CLIENT_AUTH_METHODS).sort()).toEqual(['client_assertion', 'client_secret_basic', 'client_secret_post', 'federated_jwt', 'none']);
    expect(Object.values(CLIENT_AUTH_METHODS).every((line) => typeof line.step === 'function')).toBe(true);
  });

  it('serves each registration once, and RFC 8414 metadata lists exactly those, in the table order', () => {
    expect(SUPPORTED_CLIENT_AUTH_METHODS).toEqual(['private_key_jwt', 'client_secret_jwt', 'client_secret_basic', 'client_secret_post', 'federated_jwt', 'none']);
    const metadata = buildAuthorizationServerMetadata('https://broker.example', ['ES256']);
    expect(metadata.token_endpoint_auth_methods_supported).toEqual([...SUPPORTED_CLIENT_AUTH_METHODS]);
    expect(metadata.introspection_endpoint_auth_methods_supported).toEqual(SUPPORTED_CLIENT_AUTH_METHODS.filter((method) => method !== 'none'));
  });
});
