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
 *   `jti` stays used (an assertion refused as a replay, never one accepted twice);
 * - a grant that declares it (`deferring`) has its marks (its assertion's, its DPoP
 *   proof's) recorded at the END of the request, by `commit`, in one script with its
 *   success audit event (ReplayGuardService.commit): until then they are answered as
 *   first uses, and a refusal at commit is answered with the rule's own error
 *   (`replayRefusal`). Marks deferred and never committed were never written: nothing to
 *   give back. The client assertion is marked at once (its refusal comes before the rate limit).
 */
import type { LoggedRequest } from '@trust-broker/service-kit/logging';
import { replayRefusal, type AssertionKind, type ReplayGuard, type ReplayVerdict } from '@trust-broker/validation';
import { fromAssertionError } from '../oauth/assertion-errors';
import type { DependencyUnavailableError } from '../oauth/dependency-unavailable';
import type { OAuthError } from '../oauth/oauth-error';
import type { DeferredMark, ReplayGuardService } from './replay-guard.service';

export class ReplayLedger implements ReplayGuard {
  private readonly marks: { namespace: string; jti: string }[] = [];
  private readonly deferred: DeferredMark[] = [];

  constructor(
    private readonly guard: ReplayGuardService,
    /** On a Redis Cluster one script reaches one slot: marks of other buckets are recorded first. */
    private readonly cluster = false,
    /** The request being served: named by the replay store's loss line. */
    private readonly request?: LoggedRequest,
  ) {}

  /** A guard whose marks wait for `commit`, answered as refusals of a `kind` JWT. */
  deferring(kind: AssertionKind): ReplayGuard {
    return {
      markUsed: (namespace, jti, keepUntil, usableSince) => {
        this.deferred.push({ namespace, jti, keepUntil, usableSince, kind });
        return Promise.resolve(true);
      },
    };
  }

  /** Whether marks wait for `commit` (the request's success event then goes with them). */
  hasDeferred(): boolean {
    return this.deferred.length > 0;
  }

  /**
   * Records the deferred marks and appends `entry` (the success audit event) at once.
   * Resolves with the error to answer when a mark is refused (nothing of the event written),
   * else undefined; throws (503) when Redis does not take it.
   */
  async commit(entry: string): Promise<OAuthError | DependencyUnavailableError | undefined> {
    const pending = this.deferred.splice(0);
    let together = pending;
    if (this.cluster) {
      const bucket = this.guard.bucketOf(pending[0]!.namespace, pending[0]!.jti);
      together = pending.filter((mark) => this.guard.bucketOf(mark.namespace, mark.jti) === bucket);
      for (const mark of pending.filter((other) => !together.includes(other))) {
        const verdict = await this.markUsed(mark.namespace, mark.jti, mark.keepUntil, mark.usableSince);
        if (verdict !== true) return fromAssertionError(replayRefusal(mark.kind, verdict));
      }
    }
    const outcome = await this.guard.commit(together, entry, this.request);
    if (!outcome.committed) return fromAssertionError(replayRefusal(outcome.mark.kind, outcome.verdict));
    for (const mark of together) this.marks.push({ namespace: mark.namespace, jti: mark.jti });
    return undefined;
  }

  async markUsed(namespace: string, jti: string, keepUntil: number, usableSince: number): Promise<ReplayVerdict> {
    const verdict = await this.guard.markUsed(namespace, jti, keepUntil, usableSince, this.request);
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
export async function givingBackOnFailure<T>(guard: ReplayGuardService, steps: (ledger: ReplayLedger) => Promise<T>, cluster = false, request?: LoggedRequest): Promise<T> {
  const ledger = new ReplayLedger(guard, cluster, request);
  try {
    return await steps(ledger);
  } catch (error) {
    await ledger.releaseAll();
    throw error;
  }
}
