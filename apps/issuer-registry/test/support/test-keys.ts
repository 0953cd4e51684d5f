/** Real key pairs for tests (jose), exported as public JWKs. */
import { exportJWK, generateKeyPair, type JWK } from 'jose';

export async function publicJwk(kid: string, alg: 'RS256' | 'ES256' | 'EdDSA' = 'ES256'): Promise<JWK> {
  const { publicKey } = await generateKeyPair(alg, { extractable: true });
  return { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
}

export async function privateJwk(kid: string): Promise<JWK> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg: 'ES256' };
}
