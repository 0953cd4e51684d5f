/**
 * The JWS algorithms this engine accepts and which key each one needs (RFC 7518 §3,
 * RFC 8037 for EdDSA, RFC 8725 §3.1: an algorithm is only ever taken from an allowlist,
 * and §3.2/§2.1: a key is only used with the one algorithm family it was made for).
 */
import type { CandidateKey } from './types';

/** Every algorithm the engine can verify, by family: the one table the types below are read from. HMAC is only for `client_secret_jwt`. */
export const SUPPORTED_ALGORITHMS = Object.freeze({
  asymmetric: Object.freeze(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const),
  hmac: Object.freeze(['HS256', 'HS384', 'HS512'] as const),
});

/** Asymmetric algorithms a trusted issuer or client may use. */
export type AsymmetricAlgorithm = (typeof SUPPORTED_ALGORITHMS.asymmetric)[number];
/** HMAC algorithms: only for `client_secret_jwt`. */
export type HmacAlgorithm = (typeof SUPPORTED_ALGORITHMS.hmac)[number];

/** Algorithms a trusted issuer gets when its registration names none (CONTRACT.md). */
export const DEFAULT_ISSUER_ALGORITHMS: readonly AsymmetricAlgorithm[] = Object.freeze(['RS256', 'PS256', 'ES256', 'EdDSA']);

/**
 * The algorithms the broker signs its own access tokens with (`TOKEN_SIGNING_ALG`): a subset
 * of the asymmetric ones above, so its tokens verify through the same core as partners'
 * assertions. `signJws` (jws/sign-jws.ts) signs with each.
 */
export const BROKER_SIGNING_ALGORITHMS = Object.freeze(['ES256', 'ES384', 'EdDSA', 'PS256', 'RS256'] as const satisfies readonly AsymmetricAlgorithm[]);
export type BrokerSigningAlgorithm = (typeof BROKER_SIGNING_ALGORITHMS)[number];

const ASYMMETRIC = new Set<string>(SUPPORTED_ALGORITHMS.asymmetric);
const BROKER_SIGNING = new Set<string>(BROKER_SIGNING_ALGORITHMS);

export function isBrokerSigningAlgorithm(alg: unknown): alg is BrokerSigningAlgorithm {
  return typeof alg === 'string' && BROKER_SIGNING.has(alg);
}
const HMAC = new Set<string>(SUPPORTED_ALGORITHMS.hmac);

interface KeyRequirement {
  kty: CandidateKey['kty'];
  crv?: string;
}

/**
 * The key type (and curve) each algorithm needs: no RSA/HMAC or curve confusion. Checked
 * against the table (every algorithm, no other); a Map, so that a header's `alg` is never
 * looked up among an object's inherited keys.
 */
const KEY_REQUIREMENTS: ReadonlyMap<string, KeyRequirement> = new Map(
  Object.entries({
    RS256: { kty: 'RSA' },
    RS384: { kty: 'RSA' },
    RS512: { kty: 'RSA' },
    PS256: { kty: 'RSA' },
    PS384: { kty: 'RSA' },
    PS512: { kty: 'RSA' },
    ES256: { kty: 'EC', crv: 'P-256' },
    ES384: { kty: 'EC', crv: 'P-384' },
    ES512: { kty: 'EC', crv: 'P-521' },
    EdDSA: { kty: 'OKP', crv: 'Ed25519' },
    Ed25519: { kty: 'OKP', crv: 'Ed25519' },
    HS256: { kty: 'oct' },
    HS384: { kty: 'oct' },
    HS512: { kty: 'oct' },
  } satisfies Record<AsymmetricAlgorithm | HmacAlgorithm, KeyRequirement>),
);

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
