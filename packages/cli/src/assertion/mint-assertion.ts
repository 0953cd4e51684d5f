/**
 * Signs a JWT assertion (RFC 7523 §3) for tests and demos: a grant assertion from a
 * partner's key, or a client assertion (§2.2) where iss = sub = client_id.
 */
import { randomUUID, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';

export interface MintAssertionOptions {
  key: KeyObject | Uint8Array;
  alg: string;
  kid?: string;
  iss: string;
  sub: string;
  aud: string | string[];
  /** Seconds from now until `exp`. */
  lifetimeSeconds: number;
  /** A fixed `jti`; `false` leaves it out; absent: a random UUID. */
  jti?: string | false;
  /** `iat` is set unless this is false. */
  includeIat?: boolean;
  /** Seconds from now for `nbf`; absent: no `nbf`. */
  notBeforeSeconds?: number;
  extraClaims?: Record<string, unknown>;
  /** The `typ` header; default `JWT`. A client assertion carries `client-authentication+jwt` (rfc7523bis §4). */
  typ?: string;
  /** The clock, in seconds since the epoch; for tests. */
  now?: number;
}

export interface MintedAssertion {
  assertion: string;
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
}

export async function mintAssertion(options: MintAssertionOptions): Promise<MintedAssertion> {
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = {
    ...options.extraClaims,
    iss: options.iss,
    sub: options.sub,
    aud: options.aud,
    exp: now + options.lifetimeSeconds,
  };
  if (options.includeIat !== false) claims.iat = now;
  if (options.notBeforeSeconds !== undefined) claims.nbf = now + options.notBeforeSeconds;
  if (options.jti !== false) claims.jti = options.jti ?? randomUUID();
  const header: Record<string, unknown> = { alg: options.alg, typ: options.typ ?? 'JWT' };
  if (options.kid !== undefined) header.kid = options.kid;
  const assertion = await new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(options.key);
  return { assertion, header, claims };
}
