/**
 * Enforces: `htm` is the HTTP method of the request that carries the proof (RFC 9449
 * §4.2, §4.3 step 8), compared exactly (methods are case-sensitive, RFC 9110 §9.1).
 */
import { reject } from '../assertion-kind';

export function checkDpopMethod(claims: Record<string, unknown>, method: string): void {
  if (claims.htm !== method) throw reject('dpop', 'dpop_htm_mismatch', `The DPoP proof's "htm" must be "${method}"`);
}
