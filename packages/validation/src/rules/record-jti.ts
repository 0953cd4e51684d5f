/**
 * Enforces single use of `jti` (RFC 7523 §3 rule 7, RFC 7519 §4.1.7) through the
 * caller's replay guard. Called LAST, after every other rule passed, so a rejected
 * assertion never uses up its `jti`. Enforces:
 * - the mark is kept until `floor(exp + skew) + 1`: the time rules compare whole seconds
 *   (`clock.ts`), so a fractional `exp` is still accepted until that second begins, and
 *   the mark must not expire before the assertion does;
 * - the guard is told the earliest second the assertion could have been accepted
 *   (`iat`/`nbf` minus the skew; without `iat`, `exp` minus the maximum lifetime), so a
 *   store that lost its records since then refuses it (`replay_state_lost`);
 * - a guard that cannot answer fails closed: `temporarily_unavailable`, never a pass.
 */
import type { AssertionKind } from '../assertion-kind';
import { reject } from '../assertion-kind';
import { AssertionError } from '../errors';
import type { ReplayGuard, ReplayVerdict } from '../types';
import type { TimeClaims } from './check-time-claims';

export interface ReplayWindowPolicy {
  clockSkewSeconds: number;
  maxLifetimeSeconds: number;
}

export async function recordJti(
  guard: ReplayGuard,
  namespace: string,
  jti: string,
  times: TimeClaims,
  policy: ReplayWindowPolicy,
  kind: AssertionKind,
): Promise<void> {
  let verdict: ReplayVerdict;
  try {
    verdict = await guard.markUsed(namespace, jti, replayMarkExpiry(times, policy), earliestAcceptance(times, policy));
  } catch (cause) {
    throw new AssertionError('temporarily_unavailable', 'replay_store_unavailable', 'The replay store cannot be reached; try again later', { cause });
  }
  if (verdict !== true) throw replayRefusal(kind, verdict);
}

/**
 * The error of a `jti` the replay store refused, for the kind of JWT that carried it. Also
 * for a guard that records marks later (token-service commits the jwt-bearer grant's marks
 * with its audit event) and must answer a refusal as this rule would have.
 */
export function replayRefusal(kind: AssertionKind, verdict: false | 'state_lost'): AssertionError {
  if (verdict === 'state_lost') {
    return reject(kind, 'replay_state_lost', 'The replay records covering this assertion were lost; present an assertion issued now');
  }
  return reject(kind, 'jti_replayed', 'This assertion has already been used');
}

/** The first whole second at which `checkTimeClaims` refuses the assertion as expired (or later). */
export function replayMarkExpiry(times: Pick<TimeClaims, 'exp'>, policy: Pick<ReplayWindowPolicy, 'clockSkewSeconds'>): number {
  return Math.floor(times.exp + policy.clockSkewSeconds) + 1;
}

/** A lower bound of the moment the time rules could first have accepted the assertion. */
export function earliestAcceptance(times: TimeClaims, policy: ReplayWindowPolicy): number {
  const bounds: number[] = [];
  if (times.iat !== undefined) bounds.push(times.iat - policy.clockSkewSeconds);
  else bounds.push(times.exp - policy.maxLifetimeSeconds);
  if (times.nbf !== undefined) bounds.push(times.nbf - policy.clockSkewSeconds);
  return Math.max(...bounds);
}
