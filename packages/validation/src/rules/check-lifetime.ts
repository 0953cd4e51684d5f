/**
 * Enforces: the assertion lives no longer than the party allows, `exp - iat`, or
 * `exp - now` without `iat` (RFC 7523 §3 rule 4 lets the server limit it; CONTRACT.md
 * `max_assertion_lifetime_s`, `client_assertion_max_lifetime_s`).
 */
import type { AssertionKind } from '../assertion-kind';
import { reject } from '../assertion-kind';
import type { TimeClaims } from './check-time-claims';

export function checkLifetime(times: TimeClaims, nowSeconds: number, maxLifetimeSeconds: number, kind: AssertionKind): void {
  const start = times.iat ?? nowSeconds;
  if (times.exp - start > maxLifetimeSeconds) {
    throw reject(kind, 'lifetime_exceeded', `The assertion lifetime exceeds ${maxLifetimeSeconds} seconds`);
  }
}
