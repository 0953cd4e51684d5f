import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { parseChoice, parseKeyValue, parseList, parseNonNegativeInteger, parsePositiveInteger, parseRfc3339, readPublicJwks } from './option-parsers';

describe('option parsers', () => {
  it.each([
    ['a,b,c', undefined, ['a', 'b', 'c']],
    [' a , ,b ', undefined, ['a', 'b']],
    ['c', ['a', 'b'], ['a', 'b', 'c']],
    ['*', undefined, ['*']],
    ['', undefined, []],
  ])('parseList(%j, %j) = %j', (value, previous, expected) => {
    expect(parseList(value, previous)).toEqual(expected);
  });

  it.each([
    ['0', 0],
    ['300', 300],
    [' 42 ', 42],
  ])('parseNonNegativeInteger(%j) = %j', (value, expected) => {
    expect(parseNonNegativeInteger(value)).toBe(expected);
  });

  it.each(['-1', '1.5', 'abc', '', '1e3', '99999999999999999999'])('parseNonNegativeInteger rejects %j', (value) => {
    expect(() => parseNonNegativeInteger(value)).toThrow(InvalidArgumentError);
  });

  it('parsePositiveInteger rejects 0', () => {
    expect(() => parsePositiveInteger('0')).toThrow(InvalidArgumentError);
    expect(parsePositiveInteger('1')).toBe(1);
  });

  it.each(['2030-01-01T00:00:00Z', '2030-01-01T00:00:00.123+02:00', '2030-01-01 10:00:00z'])('parseRfc3339 accepts %j', (value) => {
    expect(parseRfc3339(value)).toBe(value);
  });

  it.each(['2030-01-01', 'tomorrow', '2030-01-01T00:00:00', '2030-13-45T00:00:00Z'])('parseRfc3339 rejects %j', (value) => {
    expect(() => parseRfc3339(value)).toThrow(InvalidArgumentError);
  });

  it('parseChoice accepts only the listed values', () => {
    const parse = parseChoice(['active', 'disabled']);
    expect(parse('active')).toBe('active');
    expect(() => parse('Active')).toThrow('expected one of: active, disabled');
  });

  it('parseKeyValue accumulates and keeps "=" inside the value', () => {
    expect(parseKeyValue('b=claims.x == "y"', parseKeyValue('a=1', undefined))).toEqual({ a: '1', b: 'claims.x == "y"' });
    expect(() => parseKeyValue('=x', undefined)).toThrow(InvalidArgumentError);
    expect(() => parseKeyValue('novalue', undefined)).toThrow(InvalidArgumentError);
  });
});

describe('readPublicJwks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tb-cli-jwks-'));

  it('strips every private member from a private JWK and keeps kid/alg/use', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'rsa-1', alg: 'RS256', use: 'sig' };
    const file = join(dir, 'private.json');
    writeFileSync(file, JSON.stringify(jwk));
    const { keys } = readPublicJwks(file);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: 'RSA', kid: 'rsa-1', alg: 'RS256', use: 'sig', n: jwk.n, e: jwk.e });
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(keys[0]).not.toHaveProperty(member);
  });

  it('reads a JWKS with several keys', () => {
    const a = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
    const b = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });
    const file = join(dir, 'jwks.json');
    writeFileSync(file, JSON.stringify({ keys: [{ ...a, kid: 'a' }, { ...b, kid: 'b' }] }));
    expect(readPublicJwks(file).keys.map((key) => key.kid)).toEqual(['a', 'b']);
  });

  it.each([
    ['not json', 'is not valid JSON'],
    ['{"keys":[{"kty":"EC"}]}', 'key 0 is not a usable JWK'],
    ['{"keys":[42]}', 'key 0 is not a JWK object'],
  ])('rejects %j with a clear message', (text, message) => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, text);
    expect(() => readPublicJwks(file)).toThrow(message);
  });

  it('names a missing file', () => {
    expect(() => readPublicJwks(join(dir, 'missing.json'))).toThrow(/cannot read .*missing\.json: ENOENT/);
  });
});
