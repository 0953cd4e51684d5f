import { generateKeyPairSync } from 'node:crypto';
import { DEFAULT_ISSUER_ALGORITHMS, keyFitsAlgorithm, SUPPORTED_ALGORITHMS } from './algorithms';
import type { CandidateKey } from './types';

const rsa: CandidateKey = { kty: 'RSA', key: generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey };
const p256: CandidateKey = { kty: 'EC', crv: 'P-256', key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey };
const p384: CandidateKey = { kty: 'EC', crv: 'P-384', key: generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey };
const ed: CandidateKey = { kty: 'OKP', crv: 'Ed25519', key: generateKeyPairSync('ed25519').publicKey };
const secret: CandidateKey = { kty: 'oct', key: new Uint8Array(32) };
const rsaDeclaringRs256: CandidateKey = { ...rsa, alg: 'RS256' };
const rsaPretendingOct: CandidateKey = { kty: 'oct', key: rsa.key };
const bytesPretendingRsa: CandidateKey = { kty: 'RSA', key: new Uint8Array(256) };

describe('keyFitsAlgorithm (RFC 8725 §2.1, §3.1)', () => {
  it.each([
    [rsa, 'RS256', true],
    [rsa, 'PS512', true],
    [rsa, 'HS256', false],
    [rsa, 'ES256', false],
    [p256, 'ES256', true],
    [p256, 'ES384', false],
    [p384, 'ES384', true],
    [ed, 'EdDSA', true],
    [ed, 'Ed25519', true],
    [ed, 'ES256', false],
    [secret, 'HS256', true],
    [secret, 'HS512', true],
    [secret, 'RS256', false],
    [rsaDeclaringRs256, 'RS256', true],
    [rsaDeclaringRs256, 'PS256', false],
    [rsaPretendingOct, 'HS256', false],
    [bytesPretendingRsa, 'RS256', false],
    [rsa, 'none', false],
  ])('%#: key %o with %s -> %s', (key, alg, fits) => {
    expect(keyFitsAlgorithm(key, alg)).toBe(fits);
  });

  it('defaults to the contract algorithms, all asymmetric', () => {
    expect(DEFAULT_ISSUER_ALGORITHMS).toEqual(['RS256', 'PS256', 'ES256', 'EdDSA']);
    expect(DEFAULT_ISSUER_ALGORITHMS.every((alg) => SUPPORTED_ALGORITHMS.asymmetric.includes(alg))).toBe(true);
  });
});
