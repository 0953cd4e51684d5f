/**
 * `hmacCandidateKey(secret)`: the verification key of a `client_secret_jwt` client: the
 * octets of its client secret (RFC 7523 §2.2 with OIDC Core §10.1: the UTF-8 bytes of
 * `client_secret`). Only ever fits HS256/384/512.
 */
import type { CandidateKey } from '../types';

export function hmacCandidateKey(secret: Uint8Array): CandidateKey {
  return { kty: 'oct', key: secret };
}
