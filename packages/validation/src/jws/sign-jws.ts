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
import { constants, sign, type KeyObject } from 'node:crypto';
import type { BrokerSigningAlgorithm } from '../algorithms';

type Signer = (privateKey: KeyObject, signingInput: Buffer) => Buffer;

/** One literal options object per call, as node:crypto's fast path expects. */
const SIGNERS: Readonly<Record<BrokerSigningAlgorithm, Signer>> = Object.freeze({
  ES256: (key, input) => sign('sha256', input, { key, dsaEncoding: 'ieee-p1363' }),
  ES384: (key, input) => sign('sha384', input, { key, dsaEncoding: 'ieee-p1363' }),
  EdDSA: (key, input) => sign(null, input, key),
  PS256: (key, input) => sign('sha256', input, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }),
  RS256: (key, input) => sign('sha256', input, { key, padding: constants.RSA_PKCS1_PADDING }),
});

export function signJws(alg: BrokerSigningAlgorithm, privateKey: KeyObject, signingInput: Buffer): Buffer {
  return SIGNERS[alg](privateKey, signingInput);
}
