/**
 * A party's public key set, checked by the validation package's `validatePublicJwks`
 * (public members only, supported key types and algorithms, unique kids, at most 100
 * keys): the same rules for inline keys and for fetched ones.
 */
import { invalidRequest } from '@trust-broker/service-kit';
import { JwksValidationError, validatePublicJwks } from '@trust-broker/validation';

export interface PublicJwks {
  keys: Record<string, unknown>[];
}

/** For an admin body: a bad key set is 400 naming the member (`jwks.keys[0].d: ...`). */
export function checkInlineJwks(value: unknown, field = 'jwks'): PublicJwks {
  try {
    return validatePublicJwks(value) as PublicJwks;
  } catch (error) {
    if (error instanceof JwksValidationError) {
      const path = error.field === 'jwks' ? field : `${field}.${error.field}`;
      throw invalidRequest(`${path}: ${error.message.slice(error.field.length + 2)}`);
    }
    throw error;
  }
}

/** For a fetched document: throws an Error whose message is safe for `last_error`. */
export function checkFetchedJwks(value: unknown, maxKeys: number): PublicJwks {
  const keys = (value as { keys?: unknown } | null)?.keys;
  if (Array.isArray(keys) && keys.length > maxKeys) throw new Error(`JWKS holds ${keys.length} keys (at most ${maxKeys})`);
  try {
    return validatePublicJwks(value) as PublicJwks;
  } catch (error) {
    if (error instanceof JwksValidationError) throw new Error(`invalid JWKS: ${error.message}`);
    throw error;
  }
}
