/**
 * Enforces: the proof carries its public key in the `jwk` header (RFC 9449 §4.2), a
 * JSON object with no private member (§4.3 step 7), a supported public signature key
 * whose material really is a key of its type (an EC point on its curve, RSA of at least
 * 2048 bits: the same rules as a party's keys, `validate-public-jwk.ts`), and usable
 * with the header's `alg` (type, curve, and its own `alg` if it declares one).
 * Returns the public members (for the RFC 7638 thumbprint) and the key.
 */
import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import { reject } from '../assertion-kind';
import { algorithmFitsKeyType } from '../algorithms';
import { JwksValidationError } from '../jwks/jwks-validation.errors';
import { PRIVATE_MEMBERS, validatePublicJwk } from '../jwks/validate-public-jwk';

export interface DpopKey {
  /** The public members only (`kty`, `crv`, `x`, `y`, `n`, `e`), plus `kid`/`use`/`alg` if declared. */
  jwk: JWK & { kty: string };
  key: KeyObject;
}

export function readDpopKey(header: Record<string, unknown>, alg: string): DpopKey {
  const candidate = header.jwk;
  if (typeof candidate !== 'object' || candidate === null || Array.isArray(candidate)) {
    throw reject('dpop', 'dpop_jwk_invalid', 'A DPoP proof must carry its public key as a "jwk" header object');
  }
  if (PRIVATE_MEMBERS.some((member) => (candidate as Record<string, unknown>)[member] !== undefined)) {
    throw reject('dpop', 'dpop_jwk_invalid', 'The DPoP proof\'s "jwk" holds private key material');
  }
  let jwk: JWK & { kty: string };
  try {
    jwk = validatePublicJwk(candidate, 'jwk') as JWK & { kty: string };
  } catch (cause) {
    if (!(cause instanceof JwksValidationError)) throw cause;
    throw reject('dpop', 'dpop_jwk_invalid', `The DPoP proof's ${cause.message}`, { cause });
  }
  if (!algorithmFitsKeyType(alg, jwk.kty, jwk.crv) || (jwk.alg !== undefined && jwk.alg !== alg)) {
    throw reject('dpop', 'dpop_jwk_invalid', 'The DPoP proof\'s "jwk" cannot be used with its "alg"');
  }
  return { jwk, key: createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' }) };
}
