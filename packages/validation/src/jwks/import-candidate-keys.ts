/**
 * `importCandidateKeys(jwks)`: turns a party's key set into verification keys once, when
 * the set is loaded, so no request imports a key. Unusable members (private, `enc`,
 * unsupported type, RSA under 2048 bits, bad encoding) are skipped, not fatal: a fetched
 * JWKS often mixes in keys for other uses (RFC 7517 §5: ignore what you cannot use).
 *
 * Keys become node KeyObjects rather than algorithm-bound CryptoKeys, so one RSA key can
 * verify RS256 and PS256 alike, and node:crypto verifies with them directly.
 */
import { createPublicKey } from 'node:crypto';
import type { JWK } from 'jose';
import type { CandidateKey } from '../types';
import { validatePublicJwk } from './validate-public-jwk';

export async function importCandidateKeys(jwks: { keys: readonly unknown[] } | unknown): Promise<CandidateKey[]> {
  const keys = readKeysArray(jwks);
  const imported: CandidateKey[] = [];
  keys.forEach((entry, index) => {
    const candidate = importOne(entry, index);
    if (candidate !== undefined) imported.push(candidate);
  });
  return imported;
}

function readKeysArray(jwks: unknown): readonly unknown[] {
  if (typeof jwks !== 'object' || jwks === null) return [];
  const keys = (jwks as { keys?: unknown }).keys;
  return Array.isArray(keys) ? keys : [];
}

function importOne(entry: unknown, index: number): CandidateKey | undefined {
  let jwk: JWK;
  try {
    jwk = validatePublicJwk(entry, `keys[${index}]`);
  } catch {
    return undefined;
  }
  try {
    const key = createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
    const candidate: CandidateKey = { kty: jwk.kty as CandidateKey['kty'], key };
    if (jwk.kid !== undefined) candidate.kid = jwk.kid;
    if (jwk.alg !== undefined) candidate.alg = jwk.alg;
    if (jwk.crv !== undefined) candidate.crv = jwk.crv;
    return candidate;
  } catch {
    return undefined;
  }
}
