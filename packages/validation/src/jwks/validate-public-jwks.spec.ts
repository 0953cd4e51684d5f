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
const privateEc = { ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }) };

describe('validatePublicJwks', () => {
  it.each([
    ['RSA 2048', { keys: [{ ...rsa, kid: 'r', alg: 'RS256', use: 'sig' }] }],
    ['RSA with PS256', { keys: [{ ...rsa, alg: 'PS256' }] }],
    ['EC P-256, P-384, P-521', { keys: [{ ...p256, kid: 'a' }, { ...p384, kid: 'b', alg: 'ES384' }, { ...p521, kid: 'c', alg: 'ES512' }] }],
    ['OKP Ed25519 with EdDSA', { keys: [{ ...ed25519, alg: 'EdDSA' }] }],
    ['an empty set', { keys: [] }],
    ['100 keys', { keys: Array.from({ length: 100 }, (_, i) => ({ ...p256, kid: `k${i}` })) }],
    ['keys without kid', { keys: [p256, ed25519] }],
  ])('accepts %s', (_name, jwks) => {
    const result = validatePublicJwks(jwks);
    expect(result.keys).toHaveLength(jwks.keys.length);
  });

  it.each([
    ['not an object', 'keys', 'jwks'],
    ['null', null, 'jwks'],
    ['an array', [rsa], 'jwks'],
    ['no keys member', {}, 'keys'],
    ['keys not an array', { keys: rsa }, 'keys'],
    ['101 keys', { keys: Array.from({ length: 101 }, () => p256) }, 'keys'],
    ['a key that is not an object', { keys: ['abc'] }, 'keys[0]'],
    ['an EC private key (d)', { keys: [privateEc] }, 'keys[0].d'],
    ['an RSA key with p', { keys: [{ ...rsa, p: 'AQAB' }] }, 'keys[0].p'],
    ['an RSA key with qi', { keys: [{ ...rsa, qi: 'AQAB' }] }, 'keys[0].qi'],
    ['an RSA key with oth', { keys: [{ ...rsa, oth: [] }] }, 'keys[0].oth'],
    ['a symmetric key (k)', { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] }, 'keys[0].k'],
    ['kty oct without k', { keys: [{ kty: 'oct' }] }, 'keys[0].kty'],
    ['an unknown kty', { keys: [{ kty: 'AKP', pub: 'abc' }] }, 'keys[0].kty'],
    ['a missing kty', { keys: [{ n: rsa.n, e: rsa.e }] }, 'keys[0].kty'],
    ['EC secp256k1', { keys: [secp256k1] }, 'keys[0].crv'],
    ['OKP Ed448', { keys: [ed448] }, 'keys[0].crv'],
    ['RSA 1024 bits', { keys: [rsa1024] }, 'keys[0].n'],
    ['RSA without e', { keys: [{ kty: 'RSA', n: rsa.n }] }, 'keys[0].e'],
    ['EC without y', { keys: [{ kty: 'EC', crv: 'P-256', x: p256.x }] }, 'keys[0].y'],
    ['a non-base64url x', { keys: [{ ...ed25519, x: 'a+b/' }] }, 'keys[0].x'],
    ['a duplicate kid', { keys: [{ ...p256, kid: 'same' }, { ...ed25519, kid: 'same' }] }, 'keys[1].kid'],
    ['an empty kid', { keys: [{ ...p256, kid: '' }] }, 'keys[0].kid'],
    ['a numeric kid', { keys: [{ ...p256, kid: 7 }] }, 'keys[0].kid'],
    ['use enc', { keys: [{ ...rsa, use: 'enc' }] }, 'keys[0].use'],
    ['an unknown alg', { keys: [{ ...rsa, alg: 'RS1' }] }, 'keys[0].alg'],
    ['alg none', { keys: [{ ...rsa, alg: 'none' }] }, 'keys[0].alg'],
    ['an HMAC alg on an RSA key', { keys: [{ ...rsa, alg: 'HS256' }] }, 'keys[0].alg'],
    ['an alg that does not fit the curve', { keys: [{ ...p384, alg: 'ES256' }] }, 'keys[0].alg'],
    ['an RSA alg on an EC key', { keys: [{ ...p256, alg: 'RS256' }] }, 'keys[0].alg'],
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

  it('returns copies holding only public members', () => {
    const { keys } = validatePublicJwks({ keys: [{ ...p256, kid: 'a', x5c: ['MIIB'], ext: true, extra: 'x' }] });
    expect(Object.keys(keys[0] ?? {}).sort()).toEqual(['crv', 'kid', 'kty', 'x', 'y']);
  });
});
