/** Real key pairs for tests (jose), exported as public JWKs. */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK } from 'jose';

export async function publicJwk(kid: string, alg: 'RS256' | 'ES256' | 'EdDSA' = 'ES256'): Promise<JWK> {
  const { publicKey } = await generateKeyPair(alg, { extractable: true });
  return { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
}

export async function privateJwk(kid: string): Promise<JWK> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg: 'ES256' };
}

/**
 * Members a real partner's key set holds beside its signing keys, which the broker must
 * ignore (RFC 7517 §5) and never use: Keycloak's RSA-OAEP encryption key, a legacy
 * 1024-bit RSA key, an X25519 key-agreement key, an ES256K key, and an EC key whose point
 * is not on its curve (made from a real P-256 key with one bit of `y` flipped).
 */
export function unusableJwks(): { members: Record<string, unknown>[]; kids: string[] } {
  const jwkOf = (pair: { publicKey: KeyObject }): Record<string, unknown> => ({ ...pair.publicKey.export({ format: 'jwk' }) });
  const p256 = jwkOf(generateKeyPairSync('ec', { namedCurve: 'P-256' }));
  const y = Buffer.from(p256.y as string, 'base64url');
  y[y.length - 1] = (y[y.length - 1] as number) ^ 1;
  const members = [
    { ...jwkOf(generateKeyPairSync('rsa', { modulusLength: 2048 })), kid: 'enc-oaep', use: 'enc', alg: 'RSA-OAEP' },
    { ...jwkOf(generateKeyPairSync('rsa', { modulusLength: 1024 })), kid: 'rsa-1024', alg: 'RS256' },
    { ...jwkOf(generateKeyPairSync('x25519')), kid: 'x25519' },
    { ...jwkOf(generateKeyPairSync('ec', { namedCurve: 'secp256k1' })), kid: 'es256k', alg: 'ES256K' },
    { ...p256, y: y.toString('base64url'), kid: 'off-curve' },
  ];
  return { members, kids: members.map((member) => member.kid as string) };
}
