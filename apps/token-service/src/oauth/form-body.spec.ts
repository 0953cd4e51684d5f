import { OAuthError } from './oauth-error';
import { readForm, readFormParameters } from './form-body';

const FORM = 'application/x-www-form-urlencoded';

describe('readForm', () => {
  it.each([
    ['a repeated parameter', { scope: ['a', 'b'] }, 'parameter_repeated'],
    ['a repeated audience outside a grant that lets it repeat', { audience: ['a', 'b'] }, 'parameter_repeated'],
    ['a value that is not a string', { scope: { x: 1 } }, 'malformed_request'],
  ])('refuses %s', (_label, body, reason) => {
    expect(() => readFormParameters(body, FORM)).toThrow(expect.objectContaining({ code: 'invalid_request', reason }) as OAuthError);
  });

  it('takes every value of a repeatable parameter, in order, without the empty ones', () => {
    const { parameters, lists } = readForm({ audience: ['a', '', 'b'], resource: 'https://r.example', scope: 's' }, FORM, new Set(['audience', 'resource']));
    expect(lists).toEqual({ audience: ['a', 'b'], resource: ['https://r.example'] });
    // A name sent once is a parameter too; one sent several times only a list.
    expect({ ...parameters }).toEqual({ resource: 'https://r.example', scope: 's' });
  });

  it('still refuses other repeated parameters when some may repeat', () => {
    expect(() => readForm({ audience: ['a', 'b'], scope: ['x', 'y'] }, FORM, new Set(['audience']))).toThrow(expect.objectContaining({ reason: 'parameter_repeated' }) as OAuthError);
  });
});
