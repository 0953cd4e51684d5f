/** DPoP proofs (RFC 9449 §4.2) as a client makes them, signed with jose, for end-to-end tests. */
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { nowSeconds } from '@trust-broker/testing';

export interface DpopKey {
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function generateDpopKey(alg = 'ES256'): Promise<DpopKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { privateKey, publicJwk: await exportJWK(publicKey) };
}

/** A proof for `POST url`; `claims` override or add claims. */
export function dpopProof(key: DpopKey, url: string, claims: Record<string, unknown> = {}, alg = 'ES256'): Promise<string> {
  return new SignJWT({ htm: 'POST', htu: url, iat: nowSeconds(), jti: randomUUID(), ...claims })
    .setProtectedHeader({ typ: 'dpop+jwt', alg, jwk: key.publicJwk })
    .sign(key.privateKey);
}
