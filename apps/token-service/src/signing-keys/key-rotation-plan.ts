/**
 * What rotation should do now, as a pure function of the stored keys and the clock:
 * - no active key: promote the `next` key if there is one, else create an active key
 *   (first start: no token exists yet, so there is nothing to propagate);
 * - the active key nears the end of its period (`rotationSeconds - publishAheadSeconds`):
 *   create a `next` key, published in the JWKS ahead of use;
 * - the period is over and the `next` key has been published for `publishAheadSeconds`:
 *   promote it and retire the active key, which stays in the JWKS for `retentionSeconds`
 *   (the longest access-token lifetime plus margins) so tokens it signed still verify;
 * - a retired key past its `expires_at`: delete it (it leaves the JWKS);
 * - the configured algorithm changed (`TOKEN_SIGNING_ALG`): rotate as if the period
 *   were over, still through a published `next` key;
 * - forced (on-demand rotation): promote at once, the `next` key or a new one.
 */
import type { SigningKeyStatus } from './signing-key';

export interface RotationPolicy {
  rotationSeconds: number;
  publishAheadSeconds: number;
  retentionSeconds: number;
  /** The algorithm new keys get; an active key of another algorithm is rotated out. */
  algorithm?: string;
}

export interface KeyState {
  kid: string;
  alg?: string;
  status: SigningKeyStatus;
  createdAt: Date;
  activatedAt: Date | null;
  expiresAt: Date | null;
}

export type RotationAction =
  | { kind: 'create'; status: 'active' | 'next' }
  | { kind: 'promote'; kid: string; retireKid?: string }
  | { kind: 'create_and_promote'; retireKid: string }
  | { kind: 'delete'; kid: string };

export function planRotation(keys: readonly KeyState[], now: Date, policy: RotationPolicy, forced = false): RotationAction[] {
  const actions: RotationAction[] = keys
    .filter((key) => key.status === 'retired' && key.expiresAt !== null && key.expiresAt.getTime() <= now.getTime())
    .map((key) => ({ kind: 'delete', kid: key.kid }));
  const active = keys.find((key) => key.status === 'active');
  const next = keys.find((key) => key.status === 'next');
  if (!active) {
    actions.push(next ? { kind: 'promote', kid: next.kid } : { kind: 'create', status: 'active' });
    return actions;
  }
  const publishAheadMs = effectivePublishAheadSeconds(policy) * 1000;
  const algorithmChanged = policy.algorithm !== undefined && active.alg !== undefined && active.alg !== policy.algorithm;
  const rotateAt = algorithmChanged ? now.getTime() : (active.activatedAt ?? active.createdAt).getTime() + policy.rotationSeconds * 1000;
  const nextPropagated = next !== undefined && now.getTime() >= next.createdAt.getTime() + publishAheadMs;
  if (forced) {
    actions.push(next ? { kind: 'promote', kid: next.kid, retireKid: active.kid } : { kind: 'create_and_promote', retireKid: active.kid });
  } else if (now.getTime() >= rotateAt && next && nextPropagated) {
    actions.push({ kind: 'promote', kid: next.kid, retireKid: active.kid });
  } else if (!next && now.getTime() >= rotateAt - publishAheadMs) {
    actions.push({ kind: 'create', status: 'next' });
  }
  return actions;
}

/** The publish-ahead margin never exceeds half the rotation period, so a key is in use at least half its life. */
export function effectivePublishAheadSeconds(policy: RotationPolicy): number {
  return Math.min(policy.publishAheadSeconds, Math.floor(policy.rotationSeconds / 2));
}
