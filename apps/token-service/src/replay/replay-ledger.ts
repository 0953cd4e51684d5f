/**
 * The `jti`s one request has recorded, so that they can be given back when the request ends
 * without its answer. Enforces:
 * - a `jti` is used up only by a request that answers with a token (token endpoint) or with
 *   its 200 (introspection, revocation: `givingBackOnFailure`): when a later step fails
 *   (the grant after the client assertion, signing, or the audit event whose loss answers 503
 *   `temporarily_unavailable`, "try again later"), the marks this request made are deleted, so
 *   the same assertion can be presented again;
 * - only marks this request made are given back (a `jti` found already used is never touched);
 * - giving back is best effort and fails closed: when Redis does not take the delete, the
 *   `jti` stays used (an assertion refused as a replay, never one accepted twice).
 */
import type { ReplayGuard, ReplayVerdict } from '@trust-broker/validation';
import type { ReplayGuardService } from './replay-guard.service';

export class ReplayLedger implements ReplayGuard {
  private readonly marks: { namespace: string; jti: string }[] = [];

  constructor(private readonly guard: ReplayGuardService) {}

  async markUsed(namespace: string, jti: string, keepUntil: number, usableSince: number): Promise<ReplayVerdict> {
    const verdict = await this.guard.markUsed(namespace, jti, keepUntil, usableSince);
    if (verdict === true) this.marks.push({ namespace, jti });
    return verdict;
  }

  /** Deletes every mark this request made; resolves with how many Redis deleted. */
  async releaseAll(): Promise<number> {
    const marks = this.marks.splice(0);
    if (marks.length === 0) return 0;
    const released = await Promise.all(marks.map((mark) => this.guard.release(mark.namespace, mark.jti)));
    return released.filter(Boolean).length;
  }
}

/**
 * Runs one request's steps with a new ledger; when they throw (an error answer, or the audit
 * event lost: 503), the marks they made are given back before the error goes on.
 */
export async function givingBackOnFailure<T>(guard: ReplayGuardService, steps: (ledger: ReplayLedger) => Promise<T>): Promise<T> {
  const ledger = new ReplayLedger(guard);
  try {
    return await steps(ledger);
  } catch (error) {
    await ledger.releaseAll();
    throw error;
  }
}
