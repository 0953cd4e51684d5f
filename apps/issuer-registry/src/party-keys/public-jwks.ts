/**
 * A party's public key set, checked by the validation package's `validatePublicJwks`
 * (public members only, unique kids, at most 100 keys; members the broker cannot use are
 * ignored with their reason, RFC 7517 §5): the same rules for inline keys and for
 * fetched ones. The usable keys go to `party_keys.keys`, the only part token-service reads.
 */
import { JwksValidationError, validatePublicJwks, type IgnoredKey } from '@trust-broker/validation';
import { PartyKeysError } from './party-keys.errors';

export interface PublicJwks {
  keys: Record<string, unknown>[];
}

/** A checked key set: the usable keys, and the members held but never used. */
export interface CheckedJwks {
  jwks: PublicJwks;
  ignored: IgnoredKey[];
}

/** For an admin body: a bad key set is 400 naming the member (`jwks.keys[0].d: ...`). */
export function checkInlineJwks(value: unknown, field = 'jwks'): CheckedJwks {
  try {
    const { keys, ignored } = validatePublicJwks(value);
    return { jwks: { keys } as PublicJwks, ignored };
  } catch (error) {
    if (error instanceof JwksValidationError) {
      const path = error.field === 'jwks' ? field : `${field}.${error.field}`;
      throw new PartyKeysError('jwks_invalid', `${path}: ${error.message.slice(error.field.length + 2)}`);
    }
    throw error;
  }
}

/** For a fetched document: throws an Error whose message is safe for `last_error`. */
export function checkFetchedJwks(value: unknown, maxKeys: number): CheckedJwks {
  const keys = (value as { keys?: unknown } | null)?.keys;
  if (Array.isArray(keys) && keys.length > maxKeys) throw new Error(`JWKS holds ${keys.length} keys (at most ${maxKeys})`);
  try {
    const { keys, ignored } = validatePublicJwks(value);
    return { jwks: { keys } as PublicJwks, ignored };
  } catch (error) {
    if (error instanceof JwksValidationError) throw new Error(`invalid JWKS: ${error.message}`);
    throw error;
  }
}
