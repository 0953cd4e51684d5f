/**
 * Enforces: a `client_secret_jwt` secret has at least 256 bits (RFC 7518 §3.2: an HMAC
 * key MUST be at least as long as the hash output; 32 bytes is the floor for HS256, and
 * this engine holds every HMAC client to it).
 */
import { reject } from '../assertion-kind';
import type { CandidateKey } from '../types';

export const MIN_CLIENT_SECRET_BYTES = 32;

export function checkSecretLength(keys: readonly CandidateKey[]): void {
  for (const candidate of keys) {
    if (candidate.key instanceof Uint8Array && candidate.key.byteLength < MIN_CLIENT_SECRET_BYTES) {
      throw reject('client', 'secret_too_short', `The client secret is shorter than ${MIN_CLIENT_SECRET_BYTES} bytes and cannot be used for client_secret_jwt`);
    }
  }
}
