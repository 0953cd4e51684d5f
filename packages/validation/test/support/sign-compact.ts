/**
 * Signs compact JWS by hand with node:crypto (real keys, real signatures), so tests can
 * produce what a careful library refuses to: `alg: none`, duplicate members, `crit`,
 * HMAC keyed with an RSA public key, a header that lies about the key.
 */
import { createHmac, sign, constants, type KeyObject } from 'node:crypto';

export type SigningKey = KeyObject | Uint8Array;

export function base64url(text: string | Uint8Array): string {
  return Buffer.from(text).toString('base64url');
}

/** Signs `headerJson.payloadJson` with `key` under `alg`; an alg that does not fit the key gives a garbage signature. */
export function signCompact(alg: string, headerJson: string, payloadJson: string, key: SigningKey | undefined): string {
  const input = `${base64url(headerJson)}.${base64url(payloadJson)}`;
  return `${input}.${signatureFor(alg, input, key)}`;
}

function signatureFor(alg: string, input: string, key: SigningKey | undefined): string {
  if (key === undefined || alg.toLowerCase() === 'none') return '';
  const data = Buffer.from(input);
  const bits = alg.slice(2);
  try {
    if (alg.startsWith('HS')) return createHmac(`sha${bits}`, key instanceof Uint8Array ? key : key.export()).update(data).digest('base64url');
    if (key instanceof Uint8Array) return base64url('not-a-signature');
    if (alg.startsWith('RS')) return sign(`sha${bits}`, data, key).toString('base64url');
    if (alg.startsWith('PS')) return sign(`sha${bits}`, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(bits) / 8 }).toString('base64url');
    if (alg.startsWith('ES')) return sign(`sha${bits}`, data, { key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
    if (alg === 'EdDSA' || alg === 'Ed25519') return sign(null, data, key).toString('base64url');
  } catch {
    // The key cannot make this alg: a wrong signature is what the test wants.
  }
  return base64url('not-a-signature');
}
