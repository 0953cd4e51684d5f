/**
 * The first steps both kinds of assertion share, in order, before anything about the
 * party is known: the parameter (`check-assertion-parameter.ts`), the compact JWS with
 * its JSON header and claims (`parse-compact-jws.ts`), then the header rules that need
 * no policy (`check-header.ts`: `alg` not `none`, `crit`/`b64`, embedded keys, `typ`,
 * `kid`). Nothing read here is trusted yet.
 */
import type { AssertionKind } from '../assertion-kind';
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
