/**
 * Enforces for one JWK of a party's key set: public only (RFC 7517 §9.3, RFC 7518
 * §6.2.2/§6.3.2/§6.4: no `d`, `p`, `q`, `dp`, `dq`, `qi`, `oth`, `k`), a supported key
 * type (RSA, EC P-256/P-384/P-521, OKP Ed25519), RSA of at least 2048 bits (RFC 7518
 * §3.3), `use` only `sig` (RFC 7517 §4.2), `alg` only one this engine verifies and that
 * fits the key (RFC 8725 §3.1), and key material that really is a key of its type: an EC
 * point on its curve, an Ed25519 point of the right length (RFC 7518 §6.2.1: a point off
 * the curve is invalid and enables invalid-curve attacks). Returns a copy holding only
 * the public members; extra members (`x5c`, `x5t`, `x5t#S256`, Entra's `issuer`) are
 * dropped, not refused.
 */
import { createPublicKey } from 'node:crypto';
import type { JWK } from 'jose';
import { algorithmFitsKeyType, isAsymmetricAlgorithm } from '../algorithms';
import { JwksValidationError } from './jwks-validation.errors';

export const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;
const EC_CURVES = new Set(['P-256', 'P-384', 'P-521']);
const OKP_CURVES = new Set(['Ed25519']);
const MIN_RSA_BITS = 2048;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

export function validatePublicJwk(candidate: unknown, path: string): JWK {
  if (typeof candidate !== 'object' || candidate === null || Array.isArray(candidate)) throw new JwksValidationError(path, 'must be a JSON object');
  const jwk = candidate as Record<string, unknown>;
  for (const member of PRIVATE_MEMBERS) {
    if (jwk[member] !== undefined) throw new JwksValidationError(`${path}.${member}`, 'private key material is not accepted; register public keys only');
  }
  const publicMembers = readKeyMaterial(jwk, path);
  checkKeyMaterial(publicMembers, path);
  const kid = readOptionalString(jwk, 'kid', path);
  const use = readOptionalString(jwk, 'use', path);
  if (use !== undefined && use !== 'sig') throw new JwksValidationError(`${path}.use`, 'must be "sig"');
  const alg = readOptionalString(jwk, 'alg', path);
  if (alg !== undefined && !(isAsymmetricAlgorithm(alg) && algorithmFitsKeyType(alg, publicMembers.kty, publicMembers.crv))) {
    throw new JwksValidationError(`${path}.alg`, `"${alg.slice(0, 32)}" is not a supported signature algorithm for this key type`);
  }
  return { ...publicMembers, ...(kid !== undefined && { kid }), ...(use !== undefined && { use }), ...(alg !== undefined && { alg }) };
}

function readKeyMaterial(jwk: Record<string, unknown>, path: string): JWK & { kty: string } {
  switch (jwk.kty) {
    case 'RSA': {
      const n = readBase64url(jwk, 'n', path);
      const e = readBase64url(jwk, 'e', path);
      if (modulusBits(n) < MIN_RSA_BITS) throw new JwksValidationError(`${path}.n`, `RSA keys must have at least ${MIN_RSA_BITS} bits`);
      return { kty: 'RSA', n, e };
    }
    case 'EC': {
      const crv = jwk.crv;
      if (typeof crv !== 'string' || !EC_CURVES.has(crv)) throw new JwksValidationError(`${path}.crv`, 'must be one of P-256, P-384, P-521');
      return { kty: 'EC', crv, x: readBase64url(jwk, 'x', path), y: readBase64url(jwk, 'y', path) };
    }
    case 'OKP': {
      const crv = jwk.crv;
      if (typeof crv !== 'string' || !OKP_CURVES.has(crv)) throw new JwksValidationError(`${path}.crv`, 'must be Ed25519');
      return { kty: 'OKP', crv, x: readBase64url(jwk, 'x', path) };
    }
    default:
      throw new JwksValidationError(`${path}.kty`, 'must be one of RSA, EC, OKP (public signature keys)');
  }
}

/** node:crypto (OpenSSL) refuses an EC point that is not on its curve and OKP/RSA material that is not a key. */
function checkKeyMaterial(publicMembers: JWK & { kty: string }, path: string): void {
  try {
    createPublicKey({ key: publicMembers as import('node:crypto').JsonWebKey, format: 'jwk' });
  } catch {
    const member = publicMembers.kty === 'RSA' ? 'n' : 'x';
    throw new JwksValidationError(`${path}.${member}`, publicMembers.kty === 'EC' ? 'the point is not on the curve' : 'is not a valid public key');
  }
}

function readBase64url(jwk: Record<string, unknown>, member: string, path: string): string {
  const value = jwk[member];
  if (typeof value !== 'string' || !BASE64URL.test(value)) throw new JwksValidationError(`${path}.${member}`, 'must be a base64url string');
  return value;
}

function readOptionalString(jwk: Record<string, unknown>, member: string, path: string): string | undefined {
  const value = jwk[member];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > 256) throw new JwksValidationError(`${path}.${member}`, 'must be a string of 1 to 256 characters');
  return value;
}

/** Bit length of a base64url big-endian modulus, leading zero bits excluded. */
function modulusBits(n: string): number {
  const bytes = Buffer.from(n, 'base64url');
  let first = 0;
  while (first < bytes.length && bytes[first] === 0) first++;
  if (first === bytes.length) return 0;
  return (bytes.length - first - 1) * 8 + (32 - Math.clz32(bytes[first] as number));
}
