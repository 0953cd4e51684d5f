/**
 * The JWS algorithms this engine accepts and which key each one needs (RFC 7518 §3,
 * RFC 8037 for EdDSA, RFC 8725 §3.1: an algorithm is only ever taken from an allowlist,
 * and §3.2/§2.1: a key is only used with the one algorithm family it was made for).
 */
import type { AsymmetricAlgorithm, CandidateKey, HmacAlgorithm } from './types';

/** Algorithms a trusted issuer gets when its registration names none (CONTRACT.md). */
export const DEFAULT_ISSUER_ALGORITHMS: readonly AsymmetricAlgorithm[] = Object.freeze(['RS256', 'PS256', 'ES256', 'EdDSA']);

/** Every algorithm the engine can verify, by family. HMAC is only for `client_secret_jwt`. */
export const SUPPORTED_ALGORITHMS: { readonly asymmetric: readonly AsymmetricAlgorithm[]; readonly hmac: readonly HmacAlgorithm[] } = Object.freeze({
  asymmetric: Object.freeze(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const),
  hmac: Object.freeze(['HS256', 'HS384', 'HS512'] as const),
});

/**
 * The algorithms the broker signs its own access tokens with (`TOKEN_SIGNING_ALG`): a subset
 * of the asymmetric ones above, so its tokens verify through the same core as partners'
 * assertions. `signJws` (jws/sign-jws.ts) signs with each.
 */
export const BROKER_SIGNING_ALGORITHMS = Object.freeze(['ES256', 'ES384', 'EdDSA', 'PS256', 'RS256'] as const);
export type BrokerSigningAlgorithm = (typeof BROKER_SIGNING_ALGORITHMS)[number];

const ASYMMETRIC = new Set<string>(SUPPORTED_ALGORITHMS.asymmetric);
const BROKER_SIGNING = new Set<string>(BROKER_SIGNING_ALGORITHMS);

export function isBrokerSigningAlgorithm(alg: unknown): alg is BrokerSigningAlgorithm {
  return typeof alg === 'string' && BROKER_SIGNING.has(alg);
}
const HMAC = new Set<string>(SUPPORTED_ALGORITHMS.hmac);

/** The key type (and curve) each algorithm needs: no RSA/HMAC or curve confusion. */
const KEY_REQUIREMENTS: ReadonlyMap<string, { kty: CandidateKey['kty']; crv?: string }> = new Map([
  ['RS256', { kty: 'RSA' }],
  ['RS384', { kty: 'RSA' }],
  ['RS512', { kty: 'RSA' }],
  ['PS256', { kty: 'RSA' }],
  ['PS384', { kty: 'RSA' }],
  ['PS512', { kty: 'RSA' }],
  ['ES256', { kty: 'EC', crv: 'P-256' }],
  ['ES384', { kty: 'EC', crv: 'P-384' }],
  ['ES512', { kty: 'EC', crv: 'P-521' }],
  ['EdDSA', { kty: 'OKP', crv: 'Ed25519' }],
  ['Ed25519', { kty: 'OKP', crv: 'Ed25519' }],
  ['HS256', { kty: 'oct' }],
  ['HS384', { kty: 'oct' }],
  ['HS512', { kty: 'oct' }],
]);

export function isAsymmetricAlgorithm(alg: string): alg is AsymmetricAlgorithm {
  return ASYMMETRIC.has(alg);
}

export function isHmacAlgorithm(alg: string): alg is HmacAlgorithm {
  return HMAC.has(alg);
}

/** True when this JWS algorithm can be used with a key of this type and curve (ignoring the key's own `alg`). */
export function algorithmFitsKeyType(alg: string, kty: string, crv: string | undefined): boolean {
  const needed = KEY_REQUIREMENTS.get(alg);
  if (needed === undefined || needed.kty !== kty) return false;
  return needed.crv === undefined || needed.crv === crv;
}

/**
 * True when `key` may verify a signature made with `alg`: the key type and curve fit,
 * the key's declared `alg` (if any) is exactly `alg`, and secrets (bytes) go only with
 * HMAC while public keys never do.
 */
export function keyFitsAlgorithm(key: CandidateKey, alg: string): boolean {
  if (!algorithmFitsKeyType(alg, key.kty, key.crv)) return false;
  if (key.alg !== undefined && key.alg !== alg) return false;
  return isHmacAlgorithm(alg) === key.key instanceof Uint8Array;
}
