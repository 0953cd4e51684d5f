import { TrustIndex } from './trust-index';
import type { CachedIssuer } from './trust.types';

const issuer = (id: string, iss: string, keysVersion = 1) => ({ row: { id, issuer: iss }, keysVersion }) as unknown as CachedIssuer;

describe('TrustIndex', () => {
  it('finds an issuer by id and by iss, and a rename frees the old iss', () => {
    const index = new TrustIndex();
    index.putIssuer(issuer('a', 'https://old.example'));
    index.putIssuer(issuer('a', 'https://new.example', 2));
    expect(index.issuerByIss('https://old.example')).toBeUndefined();
    expect(index.issuerByIss('https://new.example')?.row.id).toBe('a');
    expect(index.keysVersion('issuer', 'a')).toBe(2);
  });

  it('keeps an iss that another issuer took over before the rename arrived', () => {
    const index = new TrustIndex();
    index.putIssuer(issuer('a', 'https://shared.example'));
    index.putIssuer(issuer('b', 'https://shared.example'));
    index.putIssuer(issuer('a', 'https://a.example'));
    index.removeIssuer('a');
    expect(index.issuerByIss('https://shared.example')?.row.id).toBe('b');
    expect(index.issuerIds()).toEqual(['b']);
  });

  it('answers -1 as the keys version of a party it does not hold', () => {
    expect(new TrustIndex().keysVersion('client', 'nobody')).toBe(-1);
  });
});
