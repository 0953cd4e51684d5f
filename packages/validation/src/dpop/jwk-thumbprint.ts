/**
 * `jwkThumbprint(jwk)`: the RFC 7638 SHA-256 thumbprint of a public JWK, base64url: the
 * JSON object of exactly its required members (RSA: `e`, `kty`, `n`; EC: `crv`, `kty`,
 * `x`, `y`; OKP: `crv`, `kty`, `x`), in lexicographic order, without whitespace. It is
 * the `jkt` that binds tokens to a DPoP key (RFC 9449 §6.1).
 */
import { createHash } from 'node:crypto';

const REQUIRED_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  RSA: ['e', 'kty', 'n'],
  EC: ['crv', 'kty', 'x', 'y'],
  OKP: ['crv', 'kty', 'x'],
};

export function jwkThumbprint(jwk: Record<string, unknown>): string {
  const members = typeof jwk.kty === 'string' ? REQUIRED_MEMBERS[jwk.kty] : undefined;
  if (members === undefined) throw new TypeError('A JWK thumbprint needs an RSA, EC or OKP key');
  const canonical: Record<string, unknown> = {};
  for (const member of members) {
    if (typeof jwk[member] !== 'string') throw new TypeError(`A JWK thumbprint needs the "${member}" member`);
    canonical[member] = jwk[member];
  }
  return createHash('sha256').update(JSON.stringify(canonical)).digest('base64url');
}
