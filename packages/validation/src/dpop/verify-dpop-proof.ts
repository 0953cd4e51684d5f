/**
 * `verifyDpopProof(proof, ctx)`: a DPoP proof JWT at the token endpoint (RFC 9449 §4.3),
 * checked in order, cheap checks first and its `jti` recorded last: a string of at most
 * 8,192 bytes; a compact JWS with JSON header and claims; `alg` present and not `none`;
 * no `crit`; `typ` `dpop+jwt`; `alg` asymmetric and supported; the public `jwk`; the
 * signature by that key; `htm` and `htu` of this request; `iat` within the window
 * (CONTRACT.md: 60 s); `jti` present and never seen for this key. Returns the key's
 * RFC 7638 thumbprint (`jkt`), which binds the tokens issued. Failures are
 * AssertionError: `invalid_dpop_proof` (RFC 9449 §5), `temporarily_unavailable` when the
 * replay store cannot answer.
 */
import type { JWK } from 'jose';
import { reject, toAssertionError } from '../assertion-kind';
import { SUPPORTED_ALGORITHMS } from '../algorithms';
import { nowInSeconds } from '../clock';
import { checkAlgorithmAllowed, checkAlgorithmPresent } from '../rules/check-algorithm';
import { checkCriticalHeaders } from '../rules/check-critical-headers';
import { parseCompactJws } from '../rules/parse-compact-jws';
import type { ReplayGuard } from '../types';
import { checkDpopIssuedAt } from './check-dpop-issued-at';
import { checkDpopMethod } from './check-dpop-method';
import { checkDpopType } from './check-dpop-type';
import { checkDpopUri } from './check-dpop-uri';
import { jwkThumbprint } from './jwk-thumbprint';
import { readDpopKey } from './read-dpop-key';
import { readDpopJti, recordDpopJti } from './record-dpop-jti';
import { verifyDpopSignature } from './verify-dpop-signature';

/** The algorithms a DPoP proof may use: every asymmetric one the engine verifies (metadata `dpop_signing_alg_values_supported`). */
export const DPOP_SIGNING_ALGORITHMS: readonly string[] = SUPPORTED_ALGORITHMS.asymmetric;

/** How far a proof's `iat` may be from now, either way (CONTRACT.md). */
export const DPOP_IAT_WINDOW_S = 60;

/** Largest accepted proof, in bytes: a proof holds one public key (an RSA-4096 JWK is under 1 KB). */
export const MAX_DPOP_PROOF_BYTES = 8192;

export interface DpopVerificationContext {
  /** The HTTP method of the request that carries the proof. */
  method: string;
  /** The absolute URL of the request (its query, if any, is ignored). */
  url: string;
  replayGuard: ReplayGuard;
  /** Defaults to `DPOP_SIGNING_ALGORITHMS`. */
  allowedAlgorithms?: readonly string[];
  /** Defaults to `DPOP_IAT_WINDOW_S`. */
  iatWindowSeconds?: number;
  /** Milliseconds since the epoch; defaults to Date.now. */
  now?: () => number;
}

export interface VerifiedDpopProof {
  /** RFC 7638 SHA-256 thumbprint of the proof's key: the `cnf.jkt` of what it binds. */
  jkt: string;
  /** The proof's public key (public members only). */
  jwk: JWK;
  alg: string;
  jti: string;
  iat: number;
}

export async function verifyDpopProof(proof: unknown, ctx: DpopVerificationContext): Promise<VerifiedDpopProof> {
  try {
    return await runDpopRules(proof, ctx);
  } catch (error) {
    throw toAssertionError('dpop', error);
  }
}

async function runDpopRules(proof: unknown, ctx: DpopVerificationContext): Promise<VerifiedDpopProof> {
  const { parts, header, claims } = parseCompactJws(checkDpopParameter(proof), 'dpop');
  const alg = checkAlgorithmPresent(header, 'dpop');
  checkCriticalHeaders(header, 'dpop');
  checkDpopType(header);
  checkAlgorithmAllowed(alg, ctx.allowedAlgorithms ?? DPOP_SIGNING_ALGORITHMS, 'asymmetric', 'dpop');
  const { jwk, key } = readDpopKey(header, alg);
  verifyDpopSignature(parts, alg, key);
  checkDpopMethod(claims, ctx.method);
  checkDpopUri(claims, ctx.url);
  const window = ctx.iatWindowSeconds ?? DPOP_IAT_WINDOW_S;
  const iat = checkDpopIssuedAt(claims, nowInSeconds(ctx), window);
  const jti = readDpopJti(claims);
  const jkt = jwkThumbprint(jwk);
  await recordDpopJti(ctx.replayGuard, jkt, jti, iat, window);
  return { jkt, jwk, alg, jti, iat };
}

function checkDpopParameter(proof: unknown): string {
  if (typeof proof !== 'string' || proof.length === 0) throw reject('dpop', 'assertion_malformed', 'The DPoP proof is empty');
  if (Buffer.byteLength(proof, 'utf8') > MAX_DPOP_PROOF_BYTES) {
    throw reject('dpop', 'assertion_too_large', `The DPoP proof is larger than ${MAX_DPOP_PROOF_BYTES} bytes`);
  }
  return proof;
}
