/**
 * The one error type that leaves this package. Each failure carries:
 * - `error`: the OAuth error code the endpoint answers (`invalid_grant` for grant
 *   assertions, `invalid_client` for client assertions, `invalid_dpop_proof` for DPoP
 *   proofs (RFC 9449 §5), `invalid_request` for a malformed
 *   or oversized parameter, `temporarily_unavailable` when the replay guard cannot answer);
 * - `description`: safe to show the client (never key material or the assertion);
 * - `reason`: a stable code for the audit log (listed in README.md).
 */
import type { VerifiedFacts } from './types';

export type OAuthErrorCode = 'invalid_grant' | 'invalid_client' | 'invalid_dpop_proof' | 'invalid_request' | 'temporarily_unavailable';

export const REASON_CODES = [
  'assertion_missing',
  'assertion_too_large',
  'assertion_malformed',
  'assertion_encrypted',
  'header_invalid',
  'alg_none',
  'alg_not_allowed',
  'alg_key_mismatch',
  'crit_unsupported',
  'embedded_key_header',
  'typ_not_allowed',
  'claims_malformed',
  'issuer_missing',
  'issuer_unknown',
  'issuer_mismatch',
  'subject_missing',
  'subject_not_allowed',
  'subject_mismatch',
  'client_id_mismatch',
  'client_unknown',
  'audience_missing',
  'audience_mismatch',
  'audience_multiple',
  'expiry_missing',
  'assertion_expired',
  'assertion_not_yet_valid',
  'issued_in_future',
  'lifetime_exceeded',
  'jti_missing',
  'jti_invalid',
  'jti_replayed',
  'assertion_revoked',
  'unknown_kid',
  'no_matching_key',
  'signature_invalid',
  'secret_too_short',
  'condition_failed',
  'condition_error',
  'replay_store_unavailable',
  'replay_state_lost',
  'party_lookup_failed',
  'key_resolution_failed',
  'verification_failed',
  'dpop_typ_invalid',
  'dpop_jwk_invalid',
  'dpop_htm_mismatch',
  'dpop_htu_mismatch',
  'dpop_iat_invalid',
] as const;

export type ReasonCode = (typeof REASON_CODES)[number];

export class AssertionError extends Error {
  /** Set when the reason is `unknown_kid`: the `kid` the party's keys did not hold. */
  readonly kid?: string;
  /**
   * Set when the assertion's signature had verified before a later rule refused it: the
   * party has proven possession of its key, and the audit may record what it asserted.
   */
  verified?: VerifiedFacts;

  constructor(
    readonly error: OAuthErrorCode,
    readonly reason: ReasonCode,
    readonly description: string,
    options: { kid?: string; cause?: unknown } = {},
  ) {
    super(description, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AssertionError';
    if (options.kid !== undefined) this.kid = options.kid;
  }
}

/** A CEL expression that does not compile (registration time) or fails to evaluate. */
export class CelExpressionError extends Error {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CelExpressionError';
  }
}
