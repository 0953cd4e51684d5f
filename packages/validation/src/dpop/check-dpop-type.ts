/**
 * Enforces: the proof's `typ` header is `dpop+jwt` (RFC 9449 §4.2, §4.3 step 4), compared
 * as media types are (any case, with or without `application/`, RFC 7515 §4.1.9). Explicit
 * typing keeps any other JWT (an access token, an assertion) from passing as a proof.
 */
import { reject } from '../assertion-kind';
import { normalizedType } from '../rules/check-token-type';

export const DPOP_PROOF_TYPE = 'dpop+jwt';

export function checkDpopType(header: Record<string, unknown>): void {
  const typ = header.typ;
  if (typeof typ !== 'string' || normalizedType(typ) !== DPOP_PROOF_TYPE) {
    throw reject('dpop', 'dpop_typ_invalid', `A DPoP proof must have the "typ" header "${DPOP_PROOF_TYPE}"`);
  }
}
