/**
 * Enforces: no `crit` header (RFC 7515 §4.1.11: a recipient MUST reject a JWS whose
 * critical extensions it does not understand; this engine understands none) and no
 * unencoded payload (`b64: false`, RFC 7797 §3), which a JWT never uses (RFC 7797 §7).
 */
import type { AssertionKind } from '../assertion-kind';
import { reject } from '../assertion-kind';

export function checkCriticalHeaders(header: Record<string, unknown>, kind: AssertionKind): void {
  if (header.crit !== undefined) throw reject(kind, 'crit_unsupported', 'The assertion names critical header extensions ("crit") that are not supported');
  if (header.b64 !== undefined && header.b64 !== true) throw reject(kind, 'crit_unsupported', 'Unencoded payloads ("b64") are not supported');
}
