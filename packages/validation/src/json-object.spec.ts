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
