/**
 * Enforces: `kid`, when present, is a non-empty string of at most 256 characters
 * (RFC 7515 §4.1.4); it only selects among the party's own keys.
 */
import type { AssertionKind } from '../assertion-kind';
import { reject } from '../assertion-kind';
import { MAX_KID_LENGTH } from '../limits';

export function checkKeyId(header: Record<string, unknown>, kind: AssertionKind): string | undefined {
  const kid = header.kid;
  if (kid === undefined) return undefined;
  if (typeof kid !== 'string' || kid.length === 0 || kid.length > MAX_KID_LENGTH) {
    throw reject(kind, 'header_invalid', `The "kid" header must be a string of 1 to ${MAX_KID_LENGTH} characters`);
  }
  return kid;
}
