/** Real keys and signed assertions (jose), as partner IdPs and clients make them. */
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTHeaderParameters, type JWTPayload, type SignOptions } from 'jose';

/** A party's signing key: the private key to sign with and the public JWK to register. */
export interface PartyKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

/** A fresh key pair for `alg` (default ES256); the public JWK carries `kid`, `alg` and `use: sig`. */
export async function generatePartyKey(alg = 'ES256', kid: string = randomUUID()): Promise<PartyKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicJwk };
}

/** The JWKS `{ keys }` of the public halves of `keys`. */
export function jwksOf(...keys: PartyKey[]): { keys: JWK[] } {
  return { keys: keys.map((key) => key.publicJwk) };
}

/** The current time in whole seconds, as JWT `iat`/`exp` count it. */
export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** Claims of a valid assertion: `iss`, `sub`, `aud`, `iat`, `exp` (+60 s), a fresh `jti`; `undefined` removes one. */
export function assertionClaims(base: { iss: string; sub: string; aud: string | string[] }, overrides: Record<string, unknown> = {}): JWTPayload {
  const now = nowSeconds();
  const claims: Record<string, unknown> = { ...base, iat: now, exp: now + 60, jti: randomUUID(), ...overrides };
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
  return claims as JWTPayload;
}

/** Signs `claims` with a party key (its `kid` in the header) or an HMAC secret; `header` adds or overrides header fields. */
export async function signAssertion(
  key: PartyKey | { secret: Uint8Array; alg: string },
  claims: JWTPayload,
  header: Partial<JWTHeaderParameters> = {},
  signOptions: SignOptions = {},
): Promise<string> {
  const jwt = new SignJWT(claims);
  if ('secret' in key) return jwt.setProtectedHeader({ alg: key.alg, ...header } as JWTHeaderParameters).sign(key.secret, signOptions);
  const protectedHeader = { alg: key.alg, kid: key.kid, ...header } as JWTHeaderParameters;
  // `kid: undefined` in `header` means: no kid at all.
  if (protectedHeader.kid === undefined) delete protectedHeader.kid;
  return jwt.setProtectedHeader(protectedHeader).sign(key.privateKey, signOptions);
}

/** An unsigned (`alg: none`) JWT. */
export function unsecuredJwt(claims: JWTPayload, alg = 'none'): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode({ alg })}.${encode(claims)}.`;
}
