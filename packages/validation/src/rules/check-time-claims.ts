/**
 * Enforces the time claims with the party's clock skew (RFC 7523 §3 rules 4-6,
 * RFC 7519 §4.1.4-4.1.6): `exp` required and in the future; `nbf`, when present, not
 * in the future; `iat`, when present, not in the future. All must be JSON numbers.
 */
import type { AssertionKind } from '../assertion-kind';
import { reject } from '../assertion-kind';

export interface TimeClaims {
  exp: number;
  iat?: number;
  nbf?: number;
}

export function checkTimeClaims(claims: Record<string, unknown>, nowSeconds: number, skewSeconds: number, kind: AssertionKind): TimeClaims {
  const exp = readNumericDate(claims, 'exp', kind);
  if (exp === undefined) throw reject(kind, 'expiry_missing', 'The assertion has no "exp" claim');
  if (nowSeconds >= exp + skewSeconds) throw reject(kind, 'assertion_expired', 'The assertion has expired');
  const nbf = readNumericDate(claims, 'nbf', kind);
  if (nbf !== undefined && nbf > nowSeconds + skewSeconds) throw reject(kind, 'assertion_not_yet_valid', 'The assertion is not valid yet ("nbf")');
  const iat = readNumericDate(claims, 'iat', kind);
  if (iat !== undefined && iat > nowSeconds + skewSeconds) throw reject(kind, 'issued_in_future', 'The assertion was issued in the future ("iat")');
  return { exp, ...(iat !== undefined && { iat }), ...(nbf !== undefined && { nbf }) };
}

function readNumericDate(claims: Record<string, unknown>, name: 'exp' | 'nbf' | 'iat', kind: AssertionKind): number | undefined {
  const value = claims[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw reject(kind, 'claims_malformed', `The "${name}" claim must be a number (NumericDate)`);
  return value;
}
