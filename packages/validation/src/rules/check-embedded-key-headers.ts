/**
 * Enforces: no `jwk`, `jku`, `x5u` or `x5c` header (RFC 8725 §3.10 and §2.8: a key
 * named by the token itself proves nothing; keys come only from the party's registered
 * key set). The assertion is refused rather than the header ignored, so a client learns
 * early that its library is doing something unsafe.
 */
import type { AssertionKind } from '../assertion-kind';
import { reject } from '../assertion-kind';

const EMBEDDED_KEY_HEADERS = ['jwk', 'jku', 'x5u', 'x5c'] as const;

export function checkEmbeddedKeyHeaders(header: Record<string, unknown>, kind: AssertionKind): void {
  for (const name of EMBEDDED_KEY_HEADERS) {
    if (header[name] !== undefined) {
      throw reject(kind, 'embedded_key_header', `The "${name}" header is not accepted: keys come only from the registered key set`);
    }
  }
}
