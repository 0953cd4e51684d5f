/**
 * Enforces single use of `jti` (RFC 7523 §3 rule 7, RFC 7519 §4.1.7) through the
 * caller's replay guard, kept until `exp` plus the clock skew. Called LAST, after every
 * other rule passed, so a rejected assertion never uses up its `jti`. A guard that
 * cannot answer fails closed: `temporarily_unavailable`, never a pass.
 */
import type { AssertionKind } from '../assertion-kind';
import { reject } from '../assertion-kind';
import { AssertionError } from '../errors';
import type { ReplayGuard } from '../types';

export async function recordJti(guard: ReplayGuard, namespace: string, jti: string, keepUntilSeconds: number, kind: AssertionKind): Promise<void> {
  let first: boolean;
  try {
    first = await guard.markUsed(namespace, jti, keepUntilSeconds);
  } catch (cause) {
    throw new AssertionError('temporarily_unavailable', 'replay_store_unavailable', 'The replay store cannot be reached; try again later', { cause });
  }
  if (first !== true) throw reject(kind, 'jti_replayed', 'This assertion has already been used');
}
