/**
 * The first steps both kinds of assertion share, in order, before anything about the
 * party is known: the parameter (`check-assertion-parameter.ts`), the compact JWS with
 * its JSON header and claims (`parse-compact-jws.ts`), then the header rules that need
 * no policy (`check-header.ts`: `alg` not `none`, `crit`/`b64`, embedded keys, `typ`,
 * `kid`). Nothing read here is trusted yet.
 */
import type { AssertionKind } from '../assertion-kind';
import { unverifiedClaims } from '../jws/compact-jws-parts';
import { MAX_ASSERTION_BYTES } from '../limits';
import { checkAssertionParameter } from './check-assertion-parameter';
import { checkHeader, type CheckedHeader } from './check-header';
import { parseCompactJws, type UnverifiedAssertion } from './parse-compact-jws';

export interface ReadAssertion extends UnverifiedAssertion {
  checkedHeader: CheckedHeader;
}

export function readAssertion(assertion: unknown, kind: AssertionKind): ReadAssertion {
  const { compact, parts, header, claims } = parseCompactJws(checkAssertionParameter(assertion), kind);
  return { compact, parts, header, claims, checkedHeader: checkHeader(header, kind) };
}

/**
 * An assertion read once for a caller that looks at its unverified claims before verifying
 * it (the grant's early refusal by `iss`): the rule engine takes this reading as its first
 * step instead of reading the assertion again. A reading that failed keeps its error, which
 * the engine throws at that same step, so the rules and their order do not change.
 */
export class AssertionReading {
  private constructor(
    private readonly kind: AssertionKind,
    private readonly outcome: { read: ReadAssertion } | { error: unknown },
    /**
     * The claims, unverified (only to pick or to refuse, never to trust): those of any
     * three-part compact JWS of at most MAX_ASSERTION_BYTES whose payload is a JSON object,
     * exactly as `unverifiedClaims` gives them, even where its header fails the rules.
     */
    readonly unverifiedClaims: Record<string, unknown> | undefined,
  ) {}

  static of(assertion: unknown, kind: AssertionKind): AssertionReading {
    try {
      const read = readAssertion(assertion, kind);
      return new AssertionReading(kind, { read }, read.claims);
    } catch (error) {
      const claims = typeof assertion === 'string' && assertion.length <= MAX_ASSERTION_BYTES ? unverifiedClaims(assertion) : undefined;
      return new AssertionReading(kind, { error }, claims);
    }
  }

  /** What `readAssertion` returns for this assertion, or the error it throws, thrown now. */
  take(kind: AssertionKind): ReadAssertion {
    // Its errors carry the OAuth error of the kind it was read for.
    if (kind !== this.kind) throw new TypeError(`An assertion read as ${this.kind} cannot be verified as ${kind}`);
    if ('error' in this.outcome) throw this.outcome.error;
    return this.outcome.read;
  }
}
