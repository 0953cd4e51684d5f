import { CLIENT_ASSERTION_TYPE, JWT_BEARER_GRANT, TOKEN_EXCHANGE_GRANT, TOKEN_TYPES } from './oauth-urns';

// The RFCs' literal values, written out: the one place every user of these constants is checked against.
describe('OAuth URNs', () => {
  it.each([
    ['RFC 7523 §2.1 grant_type', JWT_BEARER_GRANT, 'urn:ietf:params:oauth:grant-type:jwt-bearer'],
    ['RFC 8693 §2.1 grant_type', TOKEN_EXCHANGE_GRANT, 'urn:ietf:params:oauth:grant-type:token-exchange'],
    ['RFC 7523 §2.2 client_assertion_type', CLIENT_ASSERTION_TYPE, 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'],
  ])('%s', (_name, actual, expected) => {
    expect(actual).toBe(expected);
  });

  it('RFC 8693 §3 token types', () => {
    expect(TOKEN_TYPES).toEqual({
      jwt: 'urn:ietf:params:oauth:token-type:jwt',
      idToken: 'urn:ietf:params:oauth:token-type:id_token',
      accessToken: 'urn:ietf:params:oauth:token-type:access_token',
    });
  });
});
