import { readBasicAuthorization } from './basic-credentials';

const basic = (raw: string) => `Basic ${Buffer.from(raw, 'utf8').toString('base64')}`;

describe('readBasicAuthorization (RFC 6749 §2.3.1)', () => {
  it.each([
    ['plain values', basic('client:secret'), { clientId: 'client', secret: 'secret' }],
    ['form-urlencoded values are decoded', basic('my%20client:p%3Ass+word'), { clientId: 'my client', secret: 'p:ss word' }],
    ['a colon inside the secret', basic('c:a:b'), { clientId: 'c', secret: 'a:b' }],
    ['an empty secret', basic('c:'), { clientId: 'c', secret: '' }],
    ['the scheme in lower case, spaces around', `  basic ${Buffer.from('c:s').toString('base64')}  `, { clientId: 'c', secret: 's' }],
  ])('%s', (_label, header, expected) => {
    expect(readBasicAuthorization(header)).toEqual(expected);
  });

  it.each([
    ['no colon', basic('client')],
    ['an empty client_id', basic(':secret')],
    ['bad percent-encoding', basic('c%ZZ:s')],
    ['not base64', 'Basic !!!'],
    ['two tokens', 'Basic YTpi YTpi'],
    ['no credentials', 'Basic'],
  ])('a Basic header with %s is malformed', (_label, header) => {
    expect(readBasicAuthorization(header)).toBe('malformed');
  });

  it.each([
    ['Bearer', 'Bearer YTpi'],
    ['a longer word', 'Basically YTpi'],
    ['empty', ''],
  ])('a header of another scheme (%s) is not Basic', (_label, header) => {
    expect(readBasicAuthorization(header)).toBeUndefined();
  });
});
