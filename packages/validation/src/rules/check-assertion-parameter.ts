/**
 * Enforces: the assertion parameter is present, a string, and at most 16,384 bytes,
 * before any parsing (RFC 7523 §2.1/§2.2 define it as a single JWT; CONTRACT.md sets
 * the limit and answers `invalid_request` for both kinds, RFC 6749 §5.2).
 */
import { AssertionError } from '../errors';
import { MAX_ASSERTION_BYTES } from '../limits';

export function checkAssertionParameter(assertion: unknown): string {
  if (typeof assertion !== 'string' || assertion.length === 0) {
    throw new AssertionError('invalid_request', 'assertion_missing', 'The assertion is missing or not a string');
  }
  if (exceedsByteLimit(assertion)) {
    throw new AssertionError('invalid_request', 'assertion_too_large', `The assertion is larger than ${MAX_ASSERTION_BYTES} bytes`);
  }
  return assertion;
}

/** A UTF-16 unit is at most 3 UTF-8 bytes, so the byte count is only computed when it can matter. */
function exceedsByteLimit(assertion: string): boolean {
  if (assertion.length > MAX_ASSERTION_BYTES) return true;
  if (assertion.length * 3 <= MAX_ASSERTION_BYTES) return false;
  return Buffer.byteLength(assertion, 'utf8') > MAX_ASSERTION_BYTES;
}
