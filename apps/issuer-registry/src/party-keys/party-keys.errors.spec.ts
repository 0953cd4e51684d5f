import { toApiError } from '@trust-broker/service-kit/errors';
import { checkOutboundUrl } from './outbound-url';
import { PartyKeysError } from './party-keys.errors';
import { checkInlineJwks } from './public-jwks';

function thrown(work: () => unknown): unknown {
  try {
    work();
  } catch (error) {
    return error;
  }
  throw new Error('nothing was thrown');
}

describe('the key rules shared by issuers and clients', () => {
  const strict = { allowPrivateNetworks: false } as Parameters<typeof checkOutboundUrl>[2];

  it.each([
    ['plain http', 'http://idp.example.com/jwks', 'outbound_url_not_https', 'jwks_uri: must be an https URL'],
    ['credentials', 'https://user:pw@idp.example.com/jwks', 'outbound_url_has_credentials', 'jwks_uri: must not carry credentials'],
    ['a fragment', 'https://idp.example.com/jwks#keys', 'outbound_url_has_fragment', 'jwks_uri: must not have a fragment'],
  ])('refuses a key URL with %s as a 400 naming the field', (_label, url, code, description) => {
    const error = thrown(() => checkOutboundUrl(url, 'jwks_uri', strict));
    expect(error).toBeInstanceOf(PartyKeysError);
    expect(error).toMatchObject({ code });
    expect(toApiError(error)).toMatchObject({ status: 400, error: 'invalid_request', description, reason: code });
  });

  it('takes plain http where private networks are allowed (tests, demos)', () => {
    expect(() => checkOutboundUrl('http://127.0.0.1:9/jwks', 'jwks_uri', { ...strict, allowPrivateNetworks: true })).not.toThrow();
  });

  it('refuses an inline key set with a private member, naming the member', () => {
    const error = thrown(() => checkInlineJwks({ keys: [{ kty: 'oct', k: 'c2VjcmV0' }] }));
    expect(error).toBeInstanceOf(PartyKeysError);
    expect(toApiError(error)).toMatchObject({ status: 400, error: 'invalid_request', reason: 'jwks_invalid', description: expect.stringMatching(/^jwks\.keys\[0\]/) });
  });
});
