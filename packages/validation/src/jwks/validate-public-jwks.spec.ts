import { generateKeyPairSync } from 'node:crypto';
import { JwksValidationError } from './jwks-validation.errors';
import { validatePublicJwks } from './validate-public-jwks';

const jwkOf = (pair: { publicKey: import('node:crypto').KeyObject }): Record<string, unknown> => ({ ...pair.publicKey.export({ format: 'jwk' }) });
const rsa = jwkOf(generateKeyPairSync('rsa', { modulusLength: 2048 }));
const rsa1024 = jwkOf(generateKeyPairSync('rsa', { modulusLength: 1024 }));
const p256 = jwkOf(generateKeyPairSync('ec', { namedCurve: 'P-256' }));
const p384 = jwkOf(generateKeyPairSync('ec', { namedCurve: 'P-384' }));
const p521 = jwkOf(generateKeyPairSync('ec', { namedCurve: 'P-521' }));
const secp256k1 = jwkOf(generateKeyPairSync('ec', { namedCurve: 'secp256k1' }));
const ed25519 = jwkOf(generateKeyPairSync('ed25519'));
const ed448 = jwkOf(generateKeyPairSync('ed448'));
const x25519 = jwkOf(generateKeyPairSync('x25519'));
const privateEc = { ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }) };

/** The same x with y changed in its last bit: a point that is not on P-256 (RFC 7518 §6.2.1). */
function offCurve(jwk: Record<string, unknown>): Record<string, unknown> {
  const y = Buffer.from(jwk.y as string, 'base64url');
  y[y.length - 1] = (y[y.length - 1] as number) ^ 1;
  return { ...jwk, y: y.toString('base64url') };
}

describe('validatePublicJwks', () => {
  it.each([
    ['RSA 2048', { keys: [{ ...rsa, kid: 'r', alg: 'RS256', use: 'sig' }] }],
    ['RSA with PS256', { keys: [{ ...rsa, alg: 'PS256' }] }],
    ['EC P-256, P-384, P-521', { keys: [{ ...p256, kid: 'a' }, { ...p384, kid: 'b', alg: 'ES384' }, { ...p521, kid: 'c', alg: 'ES512' }] }],
    ['OKP Ed25519 with EdDSA', { keys: [{ ...ed25519, alg: 'EdDSA' }] }],
    ['an empty set', { keys: [] }],
    ['100 keys', { keys: Array.from({ length: 100 }, (_, i) => ({ ...p256, kid: `k${i}` })) }],
    ['keys without kid', { keys: [p256, ed25519] }],
    ['extra members (x5c, x5t, x5t#S256, Entra issuer, key_ops)', { keys: [{ ...rsa, kid: 'x', x5c: ['MIIB'], x5t: 'abc', 'x5t#S256': 'def', issuer: 'https://login.microsoftonline.com/t/v2.0', key_ops: ['verify'] }] }],
  ])('accepts %s', (_name, jwks) => {
    const result = validatePublicJwks(jwks);
    expect(result.keys).toHaveLength(jwks.keys.length);
    expect(result.ignored).toEqual([]);
  });

  // RFC 7517 §5: members the broker cannot use are ignored, with their reason, beside usable keys.
  it.each([
    ['use enc (Keycloak RSA-OAEP)', { ...rsa, kid: 'enc', use: 'enc', alg: 'RSA-OAEP' }, 'use: must be "sig"'],
    ['an unknown alg', { ...rsa, kid: 'x', alg: 'RS1' }, 'alg: "RS1" is not a supported signature algorithm for this key type'],
    ['alg none', { ...rsa, kid: 'x', alg: 'none' }, 'alg: "none"'],
    ['an HMAC alg on an RSA key', { ...rsa, kid: 'x', alg: 'HS256' }, 'alg: "HS256"'],
    ['an alg that does not fit the curve', { ...p384, kid: 'x', alg: 'ES256' }, 'alg: "ES256"'],
    ['an RSA alg on an EC key', { ...p256, kid: 'x', alg: 'RS256' }, 'alg: "RS256"'],
    ['an unknown kty', { kty: 'AKP', pub: 'abc', kid: 'x' }, 'kty: must be one of RSA, EC, OKP'],
    ['a missing kty', { n: rsa.n, e: rsa.e, kid: 'x' }, 'kty: must be one of'],
    ['EC secp256k1 (ES256K)', { ...secp256k1, kid: 'x' }, 'crv: must be one of P-256, P-384, P-521'],
    ['OKP Ed448', { ...ed448, kid: 'x' }, 'crv: must be Ed25519'],
    ['OKP X25519 (key agreement)', { ...x25519, kid: 'x' }, 'crv: must be Ed25519'],
    ['RSA 1024 bits', { ...rsa1024, kid: 'x' }, 'n: RSA keys must have at least 2048 bits'],
    ['RSA without e', { kty: 'RSA', n: rsa.n, kid: 'x' }, 'e: must be a base64url string'],
    ['EC without y', { kty: 'EC', crv: 'P-256', x: p256.x, kid: 'x' }, 'y: must be a base64url string'],
    ['an EC point off its curve', { ...offCurve(p256), kid: 'x' }, 'x: the point is not on the curve'],
    ['an EC point of zeros', { kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'AAAA', kid: 'x' }, 'x: the point is not on the curve'],
    ['an Ed25519 x of the wrong length', { ...ed25519, x: 'AAAA', kid: 'x' }, 'x: is not a valid public key'],
    ['a non-base64url x', { ...ed25519, x: 'a+b/', kid: 'x' }, 'x: must be a base64url string'],
    ['a key that is not an object', 'abc', 'must be a JSON object'],
    ['an empty kid', { ...p256, kid: '' }, 'kid: must be a string of 1 to 256 characters'],
    ['a numeric kid', { ...p256, kid: 7 }, 'kid: must be a string of 1 to 256 characters'],
  ])('ignores %s beside a usable key, with its reason', (_name, member, reason) => {
    const result = validatePublicJwks({ keys: [{ ...p256, kid: 'good' }, member] });
    expect(result.keys.map((key) => key.kid)).toEqual(['good']);
    expect(result.ignored).toHaveLength(1);
    const kid = typeof member === 'object' && typeof (member as { kid?: unknown }).kid === 'string' && (member as { kid: string }).kid !== '' ? (member as { kid: string }).kid : null;
    expect(result.ignored[0]).toEqual({ kid, reason: expect.stringContaining(reason) });
    expect(result.ignored[0]?.reason.startsWith(reason)).toBe(true);
  });

  it('refuses a set whose every member is ignored, naming keys and each reason', () => {
    let caught: unknown;
    try {
      validatePublicJwks({ keys: [{ ...rsa, kid: 'enc', use: 'enc' }, { ...offCurve(p256), kid: 'bad' }] });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(JwksValidationError);
    expect(caught).toMatchObject({ field: 'keys', code: 'jwks_invalid' });
    expect((caught as Error).message).toBe('keys: no usable signing key (enc: use: must be "sig"; bad: x: the point is not on the curve)');
  });

  it.each([
    ['not an object', 'keys', 'jwks'],
    ['null', null, 'jwks'],
    ['an array', [rsa], 'jwks'],
    ['no keys member', {}, 'keys'],
    ['keys not an array', { keys: rsa }, 'keys'],
    ['101 keys', { keys: Array.from({ length: 101 }, () => p256) }, 'keys'],
    ['only a key that is not an object', { keys: ['abc'] }, 'keys'],
    ['only an encryption key', { keys: [{ ...rsa, use: 'enc' }] }, 'keys'],
    ['only an RSA key of 1024 bits', { keys: [rsa1024] }, 'keys'],
    ['only an off-curve EC key', { keys: [offCurve(p256)] }, 'keys'],
    ['an EC private key (d), even beside a usable key', { keys: [p256, privateEc] }, 'keys[1].d'],
    ['an RSA key with p', { keys: [{ ...rsa, p: 'AQAB' }] }, 'keys[0].p'],
    ['an RSA key with qi', { keys: [{ ...rsa, qi: 'AQAB' }] }, 'keys[0].qi'],
    ['an RSA key with oth', { keys: [{ ...rsa, oth: [] }] }, 'keys[0].oth'],
    ['a symmetric key (k)', { keys: [p256, { kty: 'oct', k: 'c2VjcmV0' }] }, 'keys[1].k'],
    ['a duplicate kid among usable keys', { keys: [{ ...p256, kid: 'same' }, { ...ed25519, kid: 'same' }] }, 'keys[1].kid'],
  ])('refuses %s, naming %s', (_name, jwks, field) => {
    let caught: unknown;
    try {
      validatePublicJwks(jwks);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(JwksValidationError);
    expect(caught).toMatchObject({ field, code: 'jwks_invalid' });
    expect((caught as Error).message.startsWith(`${field}: `)).toBe(true);
  });

  it('lets an ignored key share the kid of a usable one (Keycloak-style sig and enc pairs)', () => {
    const result = validatePublicJwks({ keys: [{ ...rsa, kid: 'k1', use: 'sig' }, { ...rsa, kid: 'k1', use: 'enc' }] });
    expect(result.keys).toHaveLength(1);
    expect(result.ignored).toEqual([{ kid: 'k1', reason: 'use: must be "sig"' }]);
  });

  it('returns copies holding only public members', () => {
    const { keys } = validatePublicJwks({ keys: [{ ...p256, kid: 'a', x5c: ['MIIB'], ext: true, extra: 'x' }] });
    expect(Object.keys(keys[0] ?? {}).sort()).toEqual(['crv', 'kid', 'kty', 'x', 'y']);
  });
});
