/**
 * Refresh tokens are opaque: 32 random octets (256 bits, CONTRACT.md), base64url. Only
 * their SHA-256 is stored, so a read of the table gives nothing to present; a presented
 * value that cannot be one of ours is refused before any lookup.
 */
import { createHash, randomBytes } from 'node:crypto';

const TOKEN_OCTETS = 32;
/** The base64url text of 32 octets: 43 characters. */
const REFRESH_TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export function newRefreshToken(): { token: string; hash: Buffer } {
  const token = randomBytes(TOKEN_OCTETS).toString('base64url');
  return { token, hash: hashRefreshToken(token) };
}

export function hashRefreshToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Whether `value` has the shape of a refresh token this broker issues. */
export function looksLikeRefreshToken(value: string): boolean {
  return REFRESH_TOKEN_SHAPE.test(value);
}
