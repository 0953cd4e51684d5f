/**
 * Enforces: `iat` is a number within `windowSeconds` of now, either way (RFC 9449 §4.3
 * step 11, §11.1: the window bounds how long a proof's `jti` must be remembered;
 * CONTRACT.md: 60 s). A proof has no `exp`: its `iat` is its whole lifetime.
 */
import { reject } from '../assertion-kind';

export function checkDpopIssuedAt(claims: Record<string, unknown>, nowSeconds: number, windowSeconds: number): number {
  const iat = claims.iat;
  if (typeof iat !== 'number' || !Number.isFinite(iat)) throw reject('dpop', 'dpop_iat_invalid', 'The DPoP proof must have a numeric "iat" claim');
  if (Math.abs(nowSeconds - iat) > windowSeconds) {
    throw reject('dpop', 'dpop_iat_invalid', `The DPoP proof's "iat" is more than ${windowSeconds} s away from the server's time`);
  }
  return iat;
}
