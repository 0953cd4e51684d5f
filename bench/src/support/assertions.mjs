/**
 * The benches' ES256 keys and single-use assertions (jose), made before a run so that
 * signing them costs the load generator nothing while it measures.
 */
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

/**
 * @typedef {object} Es256KeyPair
 * @property {import('jose').CryptoKey} publicKey
 * @property {import('jose').CryptoKey} privateKey
 * @property {import('jose').JWK & { kid: string }} publicJwk
 * @property {import('jose').JWK & { kid: string }} privateJwk
 */

/**
 * An extractable ES256 key pair, with both halves as JWKs under `kid`.
 * @param {string} kid
 * @returns {Promise<Es256KeyPair>}
 */
export async function es256KeyPair(kid) {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: 'ES256', use: 'sig' };
  return { publicKey, privateKey, publicJwk, privateJwk };
}

/**
 * A JWT of `claims` with a fresh jti, issued now, expiring in 280 s.
 * @param {Es256KeyPair} key
 * @param {import('jose').JWTPayload} claims
 * @returns {Promise<string>}
 */
export function signAssertion(key, claims) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ ...claims, jti: randomUUID() })
    .setProtectedHeader({ alg: 'ES256', kid: key.publicJwk.kid, typ: 'JWT' })
    .setIssuedAt(now)
    .setExpirationTime(now + 280)
    .sign(key.privateKey);
}
