import fc from 'fast-check';
import { parseJsonObject } from './json-object';

describe('parseJsonObject (RFC 7515 §4, RFC 7519 §4: no duplicate member names)', () => {
  it.each([
    ['{"a":1,"b":2}', true],
    ['{"a":{"b":1},"b":{"a":1}}', true],
    ['{"a":[{"x":1},{"x":2}]}', true],
    ['{"a":"b,\\"a\\":1"}', true],
    ['{"a":1,"b":"a"}', true],
    ['{}', true],
    ['{"a":1,"a":2}', 'duplicate_member'],
    ['{"a":1,"\\u0061":2}', 'duplicate_member'],
    ['{"a":{"b":1,"b":2}}', 'duplicate_member'],
    ['{"a":[{"x":1,"x":1}]}', 'duplicate_member'],
    ['{"__proto__":1,"__proto__":2}', 'duplicate_member'],
    ['[1,2]', 'not_object'],
    ['"text"', 'not_object'],
    ['null', 'not_object'],
    ['{"a":1', 'invalid_json'],
    ['', 'invalid_json'],
  ])('%s -> %s', (text, expected) => {
    const result = parseJsonObject(text);
    if (expected === true) expect(result.ok).toBe(true);
    else expect(result).toEqual({ ok: false, problem: expected });
  });
});

describe('parseJsonObject properties', () => {
  it('never flags what JSON.stringify produced (no false duplicates)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ unit: 'binary' }), fc.jsonValue()), (value) => {
        expect(parseJsonObject(JSON.stringify(value))).toEqual({ ok: true, value: JSON.parse(JSON.stringify(value)) });
      }),
      { numRuns: 500 },
    );
  });

  it('always flags a member name repeated in the same object', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue(), { minKeys: 1 }), fc.jsonValue(), (value, extra) => {
        const [name] = Object.keys(value) as [string];
        const text = `{${JSON.stringify(name)}:${JSON.stringify(extra)},${JSON.stringify(value).slice(1)}`;
        expect(parseJsonObject(text)).toEqual({ ok: false, problem: 'duplicate_member' });
      }),
      { numRuns: 500 },
    );
  });
});
