import { OAuthError } from '../oauth/oauth-error';
import { parseScopeList, resolveScope } from './resolve-scope';

describe('resolveScope', () => {
  const issuer = ['read', 'write', 'admin'];
  const client = ['read', 'write'];

  it.each([
    ['nothing requested: everything the issuer allows', undefined, [issuer], ['read', 'write', 'admin']],
    ['nothing requested, a client took part: the intersection', undefined, [issuer, client], ['read', 'write']],
    ['a subset', 'write read', [issuer, client], ['write', 'read']],
    ['repeated and extra spaces are folded', 'read  read ', [issuer], ['read']],
    ['nothing allowed and nothing requested', undefined, [[]], []],
  ])('%s', (_label, requested, allowedBy, expected) => {
    expect(resolveScope(requested, allowedBy)).toEqual(expected);
  });

  it.each([
    ['a scope the issuer does not allow', 'read delete', [issuer], 'scope_not_allowed'],
    ['a scope the issuer allows but the client does not', 'admin', [issuer, client], 'scope_not_allowed'],
    ['a malformed scope token (a quote)', 'read "x', [issuer], 'scope_malformed'],
    ['a malformed scope token (a backslash)', 'a\\b', [['a\\b']], 'scope_malformed'],
  ])('refuses %s with invalid_scope', (_label, requested, allowedBy, reason) => {
    let error: OAuthError | undefined;
    try {
      resolveScope(requested, allowedBy);
    } catch (e) {
      error = e as OAuthError;
    }
    expect(error).toBeInstanceOf(OAuthError);
    expect({ code: error!.code, status: error!.status, reason: error!.reason }).toEqual({ code: 'invalid_scope', status: 400, reason });
  });

  it('parses a space-separated list without empties or duplicates', () => {
    expect(parseScopeList(' a b  a ')).toEqual(['a', 'b']);
    expect(parseScopeList('')).toEqual([]);
  });
});
