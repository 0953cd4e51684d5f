/**
 * `signJws(alg, privateKey, signingInput)`: the signature octets of a compact JWS (RFC 7515
 * §5.1 step 5) for the algorithms the broker signs its own tokens with, by node:crypto's
 * one-shot `sign` (about three times faster than WebCrypto for ES256, and the token
 * endpoint signs once per token). The output is what `verifyJwsSignature` accepts:
 * - ES256/ES384: R || S, 64/96 octets (RFC 7518 §3.4), never DER;
 * - PS256: RSASSA-PSS, MGF1 with SHA-256, a 32-octet salt (RFC 7518 §3.5);
 * - RS256: RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 §3.3);
 * - EdDSA: Ed25519 (RFC 8037 §3.1).
 */
import { constants, sign, type KeyObject, type SignKeyObjectInput, type SignPrivateKeyInput } from 'node:crypto';
import type { BrokerSigningAlgorithm } from '../algorithms';

interface SigningParameters {
  digest: 'sha256' | 'sha384' | null;
  options: Omit<SignKeyObjectInput, 'key'> | Omit<SignPrivateKeyInput, 'key'>;
}

const SIGNING_PARAMETERS: Readonly<Record<BrokerSigningAlgorithm, SigningParameters>> = Object.freeze({
  ES256: { digest: 'sha256', options: { dsaEncoding: 'ieee-p1363' } },
  ES384: { digest: 'sha384', options: { dsaEncoding: 'ieee-p1363' } },
  EdDSA: { digest: null, options: {} },
  PS256: { digest: 'sha256', options: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } },
  RS256: { digest: 'sha256', options: { padding: constants.RSA_PKCS1_PADDING } },
});

export function signJws(alg: BrokerSigningAlgorithm, privateKey: KeyObject, signingInput: Buffer): Buffer {
  const { digest, options } = SIGNING_PARAMETERS[alg];
  return sign(digest, signingInput, { ...options, key: privateKey });
}
