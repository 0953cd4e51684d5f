/**
 * The algorithms the broker signs access tokens with (RFC 7518 §3, RFC 8037), and how
 * node:crypto generates keys for and signs with each. node:crypto's one-shot
 * `sign` is used instead of WebCrypto because it is about three times faster for ES256.
 */
import { constants, generateKeyPair, sign, verify, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';

export const SIGNING_ALGORITHMS = ['ES256', 'ES384', 'EdDSA', 'PS256', 'RS256'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

const generateKeyPairAsync = promisify(generateKeyPair);

export function isSigningAlgorithm(value: unknown): value is SigningAlgorithm {
  return typeof value === 'string' && (SIGNING_ALGORITHMS as readonly string[]).includes(value);
}

export interface KeyPair {
  publicKey: KeyObject;
  privateKey: KeyObject;
}

export async function generateKeyPairFor(alg: SigningAlgorithm): Promise<KeyPair> {
  switch (alg) {
    case 'ES256':
      return generateKeyPairAsync('ec', { namedCurve: 'P-256' });
    case 'ES384':
      return generateKeyPairAsync('ec', { namedCurve: 'P-384' });
    case 'EdDSA':
      return generateKeyPairAsync('ed25519');
    case 'PS256':
    case 'RS256':
      // 2048 bits: the RFC 7518 §3.3 minimum, and what resource servers expect.
      return generateKeyPairAsync('rsa', { modulusLength: 2048 });
  }
}

/** The digest and options node:crypto needs for one JWS algorithm. */
function signatureParameters(alg: SigningAlgorithm, key: KeyObject) {
  switch (alg) {
    case 'ES256':
      // JWS wants the raw r||s form (RFC 7518 §3.4), not DER.
      return { digest: 'sha256', key: { key, dsaEncoding: 'ieee-p1363' as const } };
    case 'ES384':
      return { digest: 'sha384', key: { key, dsaEncoding: 'ieee-p1363' as const } };
    case 'EdDSA':
      return { digest: null, key };
    case 'PS256':
      return { digest: 'sha256', key: { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } };
    case 'RS256':
      return { digest: 'sha256', key: { key, padding: constants.RSA_PKCS1_PADDING } };
  }
}

export function signBytes(alg: SigningAlgorithm, privateKey: KeyObject, data: Buffer): Buffer {
  const { digest, key } = signatureParameters(alg, privateKey);
  return sign(digest, data, key);
}

export function verifyBytes(alg: SigningAlgorithm, publicKey: KeyObject, data: Buffer, signature: Buffer): boolean {
  const { digest, key } = signatureParameters(alg, publicKey);
  try {
    return verify(digest, data, key, signature);
  } catch {
    // A malformed signature (wrong length, bad encoding) is simply not valid.
    return false;
  }
}
