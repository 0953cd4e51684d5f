import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { parsePrivateKey } from './load-private-key';

function pem(key: KeyObject, type: 'pkcs8' | 'pkcs1' | 'sec1'): string {
  return key.export({ format: 'pem', type } as never).toString();
}

describe('parsePrivateKey', () => {
  const ec256 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const ec384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const ed = generateKeyPairSync('ed25519').privateKey;

  it.each([
    ['EC P-256 JWK', JSON.stringify({ ...ec256.export({ format: 'jwk' }), kid: 'e1' }), 'ES256', 'e1'],
    ['EC P-384 JWK', JSON.stringify(ec384.export({ format: 'jwk' })), 'ES384', undefined],
    ['RSA JWK with alg', JSON.stringify({ ...rsa.export({ format: 'jwk' }), alg: 'PS256', kid: 'r1' }), 'PS256', 'r1'],
    ['Ed25519 JWK', JSON.stringify(ed.export({ format: 'jwk' })), 'EdDSA', undefined],
    ['JWKS (first private key)', JSON.stringify({ keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }, { ...ed.export({ format: 'jwk' }), kid: 'ed' }] }), 'EdDSA', 'ed'],
    ['PKCS#8 PEM (EC)', pem(ec256, 'pkcs8'), 'ES256', undefined],
    ['SEC1 PEM', pem(ec256, 'sec1'), 'ES256', undefined],
    ['PKCS#1 PEM (RSA)', pem(rsa, 'pkcs1'), 'RS256', undefined],
    ['PKCS#8 PEM (Ed25519)', pem(ed, 'pkcs8'), 'EdDSA', undefined],
  ])('%s -> alg %s, kid %s', (_name, text, alg, kid) => {
    const key = parsePrivateKey(text, 'key-file');
    expect(key.alg).toBe(alg);
    expect(key.kid).toBe(kid);
    expect(key.key.type).toBe('private');
  });

  it('picks the key with the asked kid from a JWKS', () => {
    const text = JSON.stringify({
      keys: [
        { ...ec256.export({ format: 'jwk' }), kid: 'old' },
        { ...ec384.export({ format: 'jwk' }), kid: 'new' },
      ],
    });
    expect(parsePrivateKey(text, 'f', 'new')).toMatchObject({ alg: 'ES384', kid: 'new' });
    expect(() => parsePrivateKey(text, 'f', 'other')).toThrow('no private key with kid "other"');
  });

  it('gives a PEM the kid asked for', () => {
    expect(parsePrivateKey(pem(ec256, 'pkcs8'), 'f', 'k9').kid).toBe('k9');
  });

  it.each([
    ['a public JWK only', JSON.stringify(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' })), 'no private key'],
    ['broken JSON', '{"kty":', 'is not valid JSON'],
    ['a JWK without its public part', JSON.stringify({ kty: 'EC', crv: 'P-256', d: 'AAAA' }), 'not a usable private JWK'],
    ['garbage PEM', '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----', 'not a usable PEM private key'],
    ['neither', 'hello', 'expected a JWK, a JWKS or a PEM private key'],
    ['an unsupported curve', pem(generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey, 'pkcs8'), 'unsupported EC curve'],
  ])('refuses %s', (_name, text, message) => {
    expect(() => parsePrivateKey(text, 'key-file')).toThrow(message);
  });
});
