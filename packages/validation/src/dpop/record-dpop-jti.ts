/**
 * Enforces: the proof has a `jti` (a string of 1 to 256 characters) that the replay store
 * has not seen for this key (RFC 9449 §4.2, §11.1), recorded LAST, after every other
 * rule, through the same replay guard as assertions. The mark lives while the proof's
 * `iat` is within the window (until `iat + window + 1`); a store that lost its records
 * since `iat - window` cannot tell a replay and refuses (`replay_state_lost`); a store
 * that cannot answer fails closed (503).
 */
import { checkJti } from '../rules/check-jti';
import { recordJti } from '../rules/record-jti';
import type { ReplayGuard } from '../types';

export function readDpopJti(claims: Record<string, unknown>): string {
  return checkJti(claims, true, 'dpop') as string;
}

export async function recordDpopJti(guard: ReplayGuard, thumbprint: string, jti: string, iat: number, windowSeconds: number): Promise<void> {
  // A proof is acceptable from iat - window to iat + window: the time rules' `exp` is its iat, the skew the window.
  await recordJti(guard, `dpop:${thumbprint}`, jti, { exp: iat, iat }, { clockSkewSeconds: windowSeconds, maxLifetimeSeconds: windowSeconds }, 'dpop');
}
