import { OAuthError } from '../oauth/oauth-error';
import { readBasicCredentials } from './basic-credentials';

const basic = (raw: string) => `Basic ${Buffer.from(raw, 'utf8').toString('base64')}`;

describe('readBasicCredentials (RFC 6749 §2.3.1)', () => {
  it.each([
    ['plain values', basic('client:secret'), { clientId: 'client', secret: 'secret' }],
    ['form-urlencoded values are decoded', basic('my%20client:p%3Ass+word'), { clientId: 'my client', secret: 'p:ss word' }],
    ['a colon inside the secret', basic('c:a:b'), { clientId: 'c', secret: 'a:b' }],
    ['an empty secret', basic('c:'), { clientId: 'c', secret: '' }],
  ])('%s', (_label, header, expected) => {
    expect(readBasicCredentials(header)).toEqual(expected);
  });

  it.each([
    ['no colon', basic('client')],
    ['an empty client_id', basic(':secret')],
    ['bad percent-encoding', basic('c%ZZ:s')],
    ['not base64', 'Basic !!!'],
    ['no credentials', 'Basic'],
  ])('refuses %s with 401 invalid_client and a Basic challenge', (_label, header) => {
    let error: OAuthError | undefined;
    try {
      readBasicCredentials(header);
    } catch (e) {
      error = e as OAuthError;
    }
    expect({ code: error?.code, status: error?.status }).toEqual({ code: 'invalid_client', status: 401 });
    expect(error?.headers['WWW-Authenticate']).toMatch(/^Basic realm=/);
  });
});
