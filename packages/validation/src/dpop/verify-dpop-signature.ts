/**
 * Enforces: the proof is signed by the key in its own `jwk` header, under exactly its
 * `alg` (RFC 9449 §4.3 step 6), through the engine's one signature core.
 */
import type { KeyObject } from 'node:crypto';
import { reject } from '../assertion-kind';
import type { CompactJwsParts } from '../jws/compact-jws-parts';
import { verifyJwsSignature } from '../jws/verify-jws-signature';

export function verifyDpopSignature(parts: CompactJwsParts, alg: string, key: KeyObject): void {
  if (!verifyJwsSignature(parts, alg, key)) throw reject('dpop', 'signature_invalid', 'The DPoP proof\'s signature does not verify with its "jwk"');
}
