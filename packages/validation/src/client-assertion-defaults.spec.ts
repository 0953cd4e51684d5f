import { SUPPORTED_ALGORITHMS } from './algorithms';
import { clientAssertionAlgorithms } from './client-assertion-defaults';

describe('clientAssertionAlgorithms', () => {
  it.each<[string, 'private_key_jwt' | 'client_secret_jwt', string | null, readonly string[]]>([
    ['private_key_jwt, none registered: every asymmetric algorithm', 'private_key_jwt', null, SUPPORTED_ALGORITHMS.asymmetric],
    ['client_secret_jwt, none registered: every HMAC algorithm', 'client_secret_jwt', null, SUPPORTED_ALGORITHMS.hmac],
    ['private_key_jwt with ES256 registered', 'private_key_jwt', 'ES256', ['ES256']],
    ['client_secret_jwt with HS512 registered', 'client_secret_jwt', 'HS512', ['HS512']],
    ['private_key_jwt with an HMAC algorithm registered: none', 'private_key_jwt', 'HS256', []],
    ['client_secret_jwt with an asymmetric algorithm registered: none', 'client_secret_jwt', 'RS256', []],
  ])('%s', (_label, method, registered, expected) => {
    expect(clientAssertionAlgorithms(method, registered)).toEqual(expected);
  });
});
