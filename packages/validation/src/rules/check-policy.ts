/**
 * Enforces that the caller's policy can be applied: a clock skew and a maximum lifetime
 * that are finite, non-negative numbers (a NaN or missing value would make every time
 * comparison false and let an expired assertion through: fail closed instead, RFC 8725
 * §3.9's spirit of never skipping a check).
 */
import type { AssertionPolicy } from '../types';

export function checkPolicyTimes(policy: AssertionPolicy): void {
  if (!isNonNegativeNumber(policy.clockSkewSeconds) || !isNonNegativeNumber(policy.maxLifetimeSeconds)) {
    // Not the client's fault: surfaces as `verification_failed`, with this message as the cause for the logs.
    throw new TypeError('The party policy needs finite, non-negative clockSkewSeconds and maxLifetimeSeconds');
  }
}

function isNonNegativeNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}
