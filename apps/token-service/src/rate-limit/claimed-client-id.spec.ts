import { claimedClientId } from './claimed-client-id';

const basic = (id: string, secret = 's') => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${secret}`).toString('base64')}`;
const jwt = (claims: unknown) => `${Buffer.from('{"alg":"ES256"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;

describe('claimedClientId', () => {
  it.each([
    ['Basic credentials', {}, basic('client-a'), 'client-a'],
    ['Basic with a form-encoded id', {}, basic('a b:c'), 'a b:c'],
    ['Basic wins over the parameter', { client_id: 'other' }, basic('client-a'), 'client-a'],
    ['the client_id parameter', { client_id: 'client-b' }, undefined, 'client-b'],
    ['the client assertion sub', { client_assertion: jwt({ sub: 'client-c' }) }, undefined, 'client-c'],
    ['client_id before the assertion', { client_id: 'client-b', client_assertion: jwt({ sub: 'client-c' }) }, undefined, 'client-b'],
    ['nothing', {}, undefined, undefined],
    ['a body that is not an object', 'grant_type=x', undefined, undefined],
    ['an empty client_id', { client_id: '' }, undefined, undefined],
    ['a repeated client_id (array)', { client_id: ['a', 'b'] }, undefined, undefined],
    ['an assertion whose payload is not JSON', { client_assertion: 'a.b.c' }, undefined, undefined],
    ['an assertion of two parts', { client_assertion: jwt({ sub: 'client-c' }).replace(/\.sig$/, '') }, undefined, undefined],
    ['an encrypted (five-part) assertion', { client_assertion: `${jwt({ sub: 'client-c' })}.a.b` }, undefined, undefined],
    ['an assertion whose claims repeat sub', { client_assertion: `e30.${Buffer.from('{"sub":"client-c","sub":"client-d"}').toString('base64url')}.sig` }, undefined, undefined],
    ['an assertion whose sub is not a string', { client_assertion: jwt({ sub: 42 }) }, undefined, undefined],
    ['an oversized assertion', { client_assertion: jwt({ sub: 'x', pad: 'p'.repeat(20_000) }) }, undefined, undefined],
    ['Basic without a colon', {}, `Basic ${Buffer.from('nocolon').toString('base64')}`, undefined],
    ['Basic with a broken escape', {}, `Basic ${Buffer.from('%E0%A4%A:s').toString('base64')}`, undefined],
    ['a Bearer header', {}, 'Bearer abc', undefined],
  ])('%s', (_label, body, authorization, expected) => {
    expect(claimedClientId(body, authorization)).toBe(expected);
  });
});
