/**
 * `validatePublicJwks(jwks)`: a party's public key set, inline or fetched (RFC 7517 §5):
 * an object with a `keys` array of at most 100 members. Members the broker cannot use
 * for signatures (`use: "enc"`, an unsupported key type, curve or `alg`, RSA under 2048
 * bits, malformed or off-curve material) are ignored and listed with their reason, as
 * RFC 7517 §5 asks ("ignore ... JWKs ... that it does not understand"). The set is
 * refused (JwksValidationError naming the field) only when it is not a key set, when a
 * member carries private key material (a leak, never to be trusted), when two usable
 * keys share a `kid` (RFC 7517 §4.5), or when members were ignored and no usable
 * signing key is left. An empty `keys` array is a valid (empty) set.
 */
import type { JWK } from 'jose';
import { JwksValidationError } from './jwks-validation.errors';
import { PRIVATE_MEMBERS, validatePublicJwk } from './validate-public-jwk';

export const MAX_JWKS_KEYS = 100;

/** A member of a key set that the broker holds but never uses, and why. */
export interface IgnoredKey {
  kid: string | null;
  reason: string;
}

export interface ClassifiedJwks {
  /** The usable public signing keys, holding only their public members. */
  keys: JWK[];
  ignored: IgnoredKey[];
}

export function validatePublicJwks(jwks: unknown): ClassifiedJwks {
  if (typeof jwks !== 'object' || jwks === null || Array.isArray(jwks)) throw new JwksValidationError('jwks', 'must be a JSON object with a "keys" array');
  const members = (jwks as { keys?: unknown }).keys;
  if (!Array.isArray(members)) throw new JwksValidationError('keys', 'must be an array');
  if (members.length > MAX_JWKS_KEYS) throw new JwksValidationError('keys', `must hold at most ${MAX_JWKS_KEYS} keys`);
  const keys: JWK[] = [];
  const ignored: IgnoredKey[] = [];
  const seenKids = new Set<string>();
  members.forEach((member, index) => {
    const path = `keys[${index}]`;
    refusePrivateMaterial(member, path);
    let jwk: JWK;
    try {
      jwk = validatePublicJwk(member, path);
    } catch (error) {
      if (!(error instanceof JwksValidationError)) throw error;
      ignored.push({ kid: readKid(member), reason: error.message.slice(path.length).replace(/^[.:]\s*/, '') });
      return;
    }
    if (jwk.kid !== undefined) {
      if (seenKids.has(jwk.kid)) throw new JwksValidationError(`${path}.kid`, `"${jwk.kid.slice(0, 64)}" is used by another key of this set`);
      seenKids.add(jwk.kid);
    }
    keys.push(jwk);
  });
  if (keys.length === 0 && ignored.length > 0) {
    const reasons = ignored.slice(0, 5).map((entry) => `${entry.kid ?? 'a key without kid'}: ${entry.reason}`);
    throw new JwksValidationError('keys', `no usable signing key (${reasons.join('; ')}${ignored.length > 5 ? '; ...' : ''})`);
  }
  return { keys, ignored };
}

function refusePrivateMaterial(member: unknown, path: string): void {
  if (typeof member !== 'object' || member === null) return;
  for (const name of PRIVATE_MEMBERS) {
    if ((member as Record<string, unknown>)[name] !== undefined) throw new JwksValidationError(`${path}.${name}`, 'private key material is not accepted; register public keys only');
  }
}

function readKid(member: unknown): string | null {
  const kid = typeof member === 'object' && member !== null ? (member as { kid?: unknown }).kid : undefined;
  return typeof kid === 'string' && kid.length > 0 && kid.length <= 256 ? kid : null;
}
