/**
 * Turns a party's public JWKS (and a client's secret) into the validation package's
 * `CandidateKey`s ONCE, when the trust cache loads them, so the hot path never parses
 * or imports a key. Keys that do not import are skipped (logged by the caller); the
 * registry validates JWKS on the way in, so this is only a second line.
 */
import { createPublicKey } from 'node:crypto';
import type { CandidateKey, KeyResolver } from '@trust-broker/validation';

export interface KeyImportResult {
  keys: CandidateKey[];
  skipped: string[];
}

/** Imports the public signing keys of one JWKS as node KeyObjects (usable with every alg of their type). */
export function importPublicKeys(jwks: { keys?: unknown } | null | undefined): KeyImportResult {
  const result: KeyImportResult = { keys: [], skipped: [] };
  const list = Array.isArray(jwks?.keys) ? (jwks.keys as Record<string, unknown>[]) : [];
  for (const [index, jwk] of list.entries()) {
    const label = typeof jwk.kid === 'string' ? jwk.kid : `#${index}`;
    if (jwk.use !== undefined && jwk.use !== 'sig') continue;
    if (jwk.kty !== 'RSA' && jwk.kty !== 'EC' && jwk.kty !== 'OKP') {
      result.skipped.push(`${label}: unsupported kty`);
      continue;
    }
    if ('d' in jwk) {
      result.skipped.push(`${label}: private key material`);
      continue;
    }
    try {
      const key = createPublicKey({ key: jwk as never, format: 'jwk' });
      result.keys.push({
        kty: jwk.kty,
        key,
        ...(typeof jwk.kid === 'string' ? { kid: jwk.kid } : {}),
        ...(typeof jwk.alg === 'string' ? { alg: jwk.alg } : {}),
        ...(typeof jwk.crv === 'string' ? { crv: jwk.crv } : {}),
      });
    } catch (error) {
      result.skipped.push(`${label}: ${(error as Error).message}`);
    }
  }
  return result;
}

/** A `client_secret_jwt` key: the octets of the secret's UTF-8 form (OIDC Core §10.1). */
export function secretCandidateKey(secret: Buffer): CandidateKey {
  return { kty: 'oct', key: new Uint8Array(secret) };
}

/**
 * Resolves keys of ONE party only: by `kid` (an unknown `kid` is reported distinctly so
 * the caller can refresh), or without `kid` all of them. The rule engine then keeps only
 * keys whose type, curve and `alg` fit the header's `alg`.
 */
export function staticKeyResolver(keys: readonly CandidateKey[]): KeyResolver {
  return {
    resolve(header) {
      if (header.kid === undefined) return [...keys];
      const withKid = keys.filter((k) => k.kid === header.kid);
      return withKid.length === 0 ? { unknownKid: true } : withKid;
    },
  };
}
