/**
 * The header rules that need no policy, in the order ARCHITECTURE.md gives: `alg`
 * (never `none`), `crit`, embedded keys, `typ`, `kid` (RFC 7515 §4, RFC 8725 §3).
 */
import type { AssertionKind } from '../assertion-kind';
import { checkAlgorithmPresent } from './check-algorithm';
import { checkCriticalHeaders } from './check-critical-headers';
import { checkEmbeddedKeyHeaders } from './check-embedded-key-headers';
import { checkKeyId } from './check-key-id';
import { checkTokenType } from './check-token-type';

export interface CheckedHeader {
  alg: string;
  kid?: string;
}

export function checkHeader(header: Record<string, unknown>, kind: AssertionKind): CheckedHeader {
  const alg = checkAlgorithmPresent(header, kind);
  checkCriticalHeaders(header, kind);
  checkEmbeddedKeyHeaders(header, kind);
  checkTokenType(header, kind);
  const kid = checkKeyId(header, kind);
  return kid === undefined ? { alg } : { alg, kid };
}
