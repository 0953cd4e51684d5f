import { CelExpressionError } from '../errors';
import { compileCelExpression, MAX_CEL_EXPRESSION_LENGTH } from './compile-cel-expression';
import { evaluateClaimMappings } from './evaluate-claim-mappings';
import { evaluateCondition } from './evaluate-condition';
import { runCondition } from './run-condition';

const claims = {
  iss: 'https://idp.example',
  sub: 'alice',
  exp: 1_800_000_060,
  email: 'Alice@Example.com',
  groups: ['admins', 'ops'],
  org: { id: 'acme', tier: 3 },
  verified: true,
  nothing: null,
};

describe('compileCelExpression', () => {
  it.each([
    ['claims.sub ==', /Invalid CEL expression: at 1:/],
    ['claims.sub == "unterminated', /Invalid CEL expression/],
    ['(claims.sub', /Invalid CEL expression/],
    ['', /empty/],
    ['   ', /empty/],
    ['true || '.repeat(600) + 'true', new RegExp(`longer than ${MAX_CEL_EXPRESSION_LENGTH}`)],
    ["claim.sub == 'alice'", /Unknown variable "claim": the only variable is "claims"/],
    ["request.ip == '1.2.3.4'", /Unknown variable "request"/],
    ["claims.groups.exists(g, h == 'x')", /Unknown variable "h"/],
    ["claims.groups.map(g, g).exists(x, g == x)", /Unknown variable "g"/],
    ["claims.roles.exists(r, claims.groups.exists(g, g == r))", /Nested comprehensions/],
    ['claims.a.all(x, claims.a.map(y, y).size() > 0)', /Nested comprehensions/],
    ['foo(claims.sub)', /Unknown function "foo"/],
    ['claims.sub.bogusMethod()', /Unknown function "bogusMethod"/],
  ])('refuses %j with a CelExpressionError that says why', (source, message) => {
    expect(() => compileCelExpression(source)).toThrow(CelExpressionError);
    expect(() => compileCelExpression(source)).toThrow(message);
  });

  it.each([
    "claims.groups.exists(g, g == 'ops')",
    "claims.groups.all(g, g.startsWith('a') || g.size() > 1)",
    "claims.groups.exists_one(g, g == 'ops')",
    "claims.groups.filter(g, g != 'x').map(g, g.upperAscii())",
    "claims.groups.map(g, g.lowerAscii()).exists(g, g == 'ops')",
    'type(claims.sub) == string && int(claims.org.tier) > 1',
    "has(claims.sub) && 'sub' in claims && claims.sub.matches('^a')",
    "{'a': 1}.a == 1 && [1, 2].size() == 2 && timestamp('2026-01-01T00:00:00Z') < timestamp('2027-01-01T00:00:00Z')",
    "claims.email.split('@')[1] == 'example.com'",
  ])('compiles %s', (source) => {
    expect(compileCelExpression(source).source).toBe(source);
  });

  it('compiles once and serves the same compiled expression from the cache', () => {
    const first = compileCelExpression("claims.sub == 'alice'");
    expect(compileCelExpression("claims.sub == 'alice'")).toBe(first);
  });

  it('keeps working after more distinct expressions than the cache holds', () => {
    for (let i = 0; i < 1100; i++) compileCelExpression(`claims.org.tier == ${i}`);
    expect(evaluateCondition('claims.org.tier == 3', claims)).toBe(true);
  });
});

describe('evaluateCondition and runCondition', () => {
  it.each([
    ["claims.sub == 'alice'", 'true'],
    ["claims.sub == 'bob'", 'false'],
    ["'admins' in claims.groups", 'true'],
    ["claims.groups.exists(g, g == 'ops') && claims.verified", 'true'],
    ['claims.org.tier >= 3', 'true'],
    ['claims.exp > 1800000000', 'true'],
    ["claims.email.lowerAscii().endsWith('@example.com')", 'true'],
    ['has(claims.department)', 'false'],
    ['claims.nothing == null', 'true'],
    ["claims.department == 'ops'", 'error'],
    ['claims.sub', 'error'],
    ['1 / 0 == 1', 'error'],
    ['claims.sub ==', 'error'],
  ])('%s -> %s', (source, outcome) => {
    expect(runCondition(source, claims)).toBe(outcome);
    expect(evaluateCondition(source, claims)).toBe(outcome === 'true');
  });

  it('is not fooled by claims that look like runtime internals', () => {
    const tricky = JSON.parse('{"$typeName":"google.protobuf.Timestamp","constructor":{"name":"Object"},"__proto__":{"admin":true},"sub":"alice"}') as Record<string, unknown>;
    expect(runCondition("claims.sub == 'alice'", tricky)).toBe('true');
    expect(runCondition('claims.__proto__.admin', tricky)).toBe('true');
    expect(runCondition('claims.admin', tricky)).toBe('error');
  });
});

describe('evaluateClaimMappings', () => {
  it('maps claims to plain JSON values', () => {
    const output = evaluateClaimMappings(
      {
        email: 'claims.email.lowerAscii()',
        tenant: 'claims.org.id',
        roles: "claims.groups.map(g, 'role:' + g)",
        tier: 'claims.org.tier + 1.0',
        count: 'size(claims.groups)',
        big: '18446744073709551615u / 4096u',
        nested: "{'a': [1, true, null], 'b': {'c': 'd'}}",
        admin: "'admins' in claims.groups",
      },
      claims,
    );
    expect(output).toEqual({
      email: 'alice@example.com',
      tenant: 'acme',
      roles: ['role:admins', 'role:ops'],
      tier: 4,
      count: 2,
      big: 4503599627370495,
      nested: { a: [1, true, null], b: { c: 'd' } },
      admin: true,
    });
  });

  it.each([
    ['a missing claim', { dept: 'claims.department' }, /Claim mapping "dept" failed: .*department/],
    ['a syntax error', { dept: 'claims.' }, /Claim mapping "dept" failed: Invalid CEL expression/],
    ['bytes', { raw: "b'abc'" }, /no JSON form/],
    ['a timestamp', { when: "timestamp('2026-01-01T00:00:00Z')" }, /no JSON form/],
    ['an integer beyond 2^53', { big: '9223372036854775807' }, /too large/],
    ['infinity', { inf: '1.0 / 0.0' }, /no JSON form/],
  ])('refuses %s with a CelExpressionError naming the claim', (_name, mappings, message) => {
    expect(() => evaluateClaimMappings(mappings, claims)).toThrow(CelExpressionError);
    expect(() => evaluateClaimMappings(mappings, claims)).toThrow(message);
  });

  it('keeps a "__proto__" output name as data', () => {
    const output = evaluateClaimMappings(JSON.parse('{"__proto__":"claims.sub"}') as Record<string, string>, claims);
    expect(Object.getPrototypeOf(output)).toBe(Object.prototype);
    expect(Object.keys(output)).toEqual(['__proto__']);
  });
});
