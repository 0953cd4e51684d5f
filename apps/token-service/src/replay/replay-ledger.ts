/**
 * The `jti`s one token request has recorded, so that they can be given back when the request
 * ends without a token. Enforces:
 * - a `jti` is used up only by a request that answers with a token: when a later step fails
 *   (the grant after the client assertion, signing, or the audit event whose loss answers 503
 *   `temporarily_unavailable`, "try again later"), the marks this request made are deleted, so
 *   the same assertion can be presented again;
 * - only marks this request made are given back (a `jti` found already used is never touched);
 * - giving back is best effort and fails closed: when Redis does not take the delete, the
 *   `jti` stays used (an assertion refused as a replay, never one accepted twice).
 */
import type { ReplayGuard } from '@trust-broker/validation';
import type { ReplayGuardService } from './replay-guard.service';

export class ReplayLedger implements ReplayGuard {
  private readonly marks: { namespace: string; jti: string }[] = [];

  constructor(private readonly guard: ReplayGuardService) {}

  async markUsed(namespace: string, jti: string, keepUntilSeconds: number): Promise<boolean> {
    const first = await this.guard.markUsed(namespace, jti, keepUntilSeconds);
    if (first) this.marks.push({ namespace, jti });
    return first;
  }

  /** Deletes every mark this request made; resolves with how many Redis deleted. */
  async releaseAll(): Promise<number> {
    const marks = this.marks.splice(0);
    if (marks.length === 0) return 0;
    const released = await Promise.all(marks.map((mark) => this.guard.release(mark.namespace, mark.jti)));
    return released.filter(Boolean).length;
  }
}
