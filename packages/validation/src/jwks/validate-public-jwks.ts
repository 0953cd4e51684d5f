/**
 * `validatePublicJwks(jwks)`: a party's public key set as an admin registers it
 * (RFC 7517 §5): an object with a `keys` array of at most 100 public signature keys,
 * each valid (see validate-public-jwk.ts), with no `kid` used twice (RFC 7517 §4.5:
 * `kid` selects one key). Throws JwksValidationError naming the field.
 */
import type { JWK } from 'jose';
import { JwksValidationError } from './jwks-validation.errors';
import { validatePublicJwk } from './validate-public-jwk';

export const MAX_JWKS_KEYS = 100;

export function validatePublicJwks(jwks: unknown): { keys: JWK[] } {
  if (typeof jwks !== 'object' || jwks === null || Array.isArray(jwks)) throw new JwksValidationError('jwks', 'must be a JSON object with a "keys" array');
  const keys = (jwks as { keys?: unknown }).keys;
  if (!Array.isArray(keys)) throw new JwksValidationError('keys', 'must be an array');
  if (keys.length > MAX_JWKS_KEYS) throw new JwksValidationError('keys', `must hold at most ${MAX_JWKS_KEYS} keys`);
  const seenKids = new Set<string>();
  const validated = keys.map((key, index) => {
    const jwk = validatePublicJwk(key, `keys[${index}]`);
    if (jwk.kid !== undefined) {
      if (seenKids.has(jwk.kid)) throw new JwksValidationError(`keys[${index}].kid`, `"${jwk.kid.slice(0, 64)}" is used by another key of this set`);
      seenKids.add(jwk.kid);
    }
    return jwk;
  });
  return { keys: validated };
}
