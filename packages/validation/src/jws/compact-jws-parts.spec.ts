import { randomBytes } from 'node:crypto';
import { splitCompactJws, unverifiedClaims } from './compact-jws-parts';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const HEAD = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0';

describe('splitCompactJws', () => {
  it.each([
    ['two parts', HEAD],
    ['four parts', `${HEAD}.AA.AA`],
    ['empty header', '.eyJzdWIiOiJhIn0.AA'],
    ['empty payload', 'eyJhbGciOiJFUzI1NiJ9..AA'],
    ['padding in the signature', `${HEAD}.AA==`],
    ['standard alphabet in the signature', `${HEAD}.A+/A`],
    ['whitespace in the signature', `${HEAD}.AA AA`],
    ['a trailing newline', `${HEAD}.AAAA\n`],
    ['non-ASCII in the payload', 'eyJhbGciOiJFUzI1NiJ9.ā.AAAA'],
  ])('refuses %s', (_name, compact) => {
    expect(splitCompactJws(compact)).toBeUndefined();
  });

  it('keeps the exact ASCII signing input and the signature octets', () => {
    const signature = randomBytes(64);
    const parts = splitCompactJws(`${HEAD}.${signature.toString('base64url')}`);
    expect(parts?.signingInput.toString('latin1')).toBe(HEAD);
    expect(parts?.headerSegment).toBe('eyJhbGciOiJFUzI1NiJ9');
    expect(parts?.payloadSegment).toBe('eyJzdWIiOiJhIn0');
    expect(parts?.signature?.equals(signature)).toBe(true);
  });

  it('an empty signature or one of length 4n+1 has no octets', () => {
    expect(splitCompactJws(`${HEAD}.`)?.signature).toBeUndefined();
    expect(splitCompactJws(`${HEAD}.AAAAA`)?.signature).toBeUndefined();
  });

  // Every last character at every tail length: octets only when re-encoding gives the same text.
  it.each(['AAAA', 'AAA', 'AA', 'AAAAAA', 'AAAAAAA'])('canonical exactly when re-encoding round-trips, for text %s + every character', (prefix) => {
    for (const last of ALPHABET) {
      const text = prefix.slice(0, -1) + last;
      const canonical = Buffer.from(text, 'base64url').toString('base64url') === text;
      const parts = splitCompactJws(`${HEAD}.${text}`);
      expect({ text, decoded: parts?.signature !== undefined }).toEqual({ text, decoded: canonical });
      if (canonical) expect(parts?.signature?.toString('base64url')).toBe(text);
    }
  });
});

describe('unverifiedClaims', () => {
  const segment = (json: string) => Buffer.from(json).toString('base64url');
  it.each([
    ['a JWS whose claims are an object', `e30.${segment('{"iss":"https://idp.example","sub":"a"}')}.AA`, { iss: 'https://idp.example', sub: 'a' }],
    ['two parts', `e30.${segment('{"sub":"a"}')}`, undefined],
    ['five parts (a JWE)', `e30.${segment('{"sub":"a"}')}.AA.AA.AA`, undefined],
    ['claims with a repeated member', `e30.${segment('{"sub":"a","sub":"b"}')}.AA`, undefined],
    ['claims that are not an object', `e30.${segment('[1]')}.AA`, undefined],
  ])('%s', (_name, compact, expected) => {
    expect(unverifiedClaims(compact)).toEqual(expected);
  });
});
