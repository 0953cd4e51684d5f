import { OAuthError } from '../oauth/oauth-error';
import { resolveAudience } from './resolve-audience';

describe('resolveAudience', () => {
  const allowed = ['https://api.example', 'urn:example:billing'];
  const fallback = ['https://api.example', 'urn:example:billing'];

  it.each([
    ['nothing requested: the fallback', {}, allowed, fallback, fallback],
    ['an allowed resource', { resource: 'https://api.example' }, allowed, fallback, ['https://api.example']],
    ['an allowed audience (not a URI)', { audience: 'urn:example:billing' }, allowed, fallback, ['urn:example:billing']],
    ['resource and audience naming the same target', { resource: 'https://api.example', audience: 'https://api.example' }, allowed, fallback, ['https://api.example']],
    ['both, different and allowed', { resource: 'https://api.example', audience: 'urn:example:billing' }, allowed, fallback, ['https://api.example', 'urn:example:billing']],
    ['any target when there is no allow-list', { audience: 'anything' }, undefined, ['https://broker'], ['anything']],
  ])('%s', (_label, parameters, allowList, defaults, expected) => {
    expect(resolveAudience(parameters, allowList, defaults)).toEqual(expected);
  });

  it.each([
    ['a resource outside the list', { resource: 'https://evil.example' }, 'target_not_allowed'],
    ['an audience outside the list', { audience: 'https://evil.example' }, 'target_not_allowed'],
    ['a relative resource', { resource: '/api' }, 'resource_malformed'],
    ['a resource with a fragment', { resource: 'https://api.example#x' }, 'resource_malformed'],
    ['one allowed and one not', { resource: 'https://api.example', audience: 'https://evil.example' }, 'target_not_allowed'],
  ])('refuses %s with invalid_target', (_label, parameters, reason) => {
    let error: OAuthError | undefined;
    try {
      resolveAudience(parameters, allowed, fallback);
    } catch (e) {
      error = e as OAuthError;
    }
    expect({ code: error?.code, status: error?.status, reason: error?.reason }).toEqual({ code: 'invalid_target', status: 400, reason });
  });
});
