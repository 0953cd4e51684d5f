/**
 * The reason codes token-service writes into audit events and OAuthErrors: its own, listed
 * here, and the rule engine's (`ReasonCode` of @trust-broker/validation), which pass through
 * unchanged. Each is listed in README.md (checked by reasons.spec.ts), so an audit reader
 * can look any of them up.
 */
import type { ReasonCode } from '@trust-broker/validation';

export const TOKEN_SERVICE_REASONS = [
  // The request as a whole.
  'method_not_allowed',
  'unsupported_content_type',
  'malformed_request',
  'parameter_repeated',
  'body_too_large',
  'rate_limited',
  'grant_type_missing',
  'grant_type_unsupported',
  'token_missing',
  // Client authentication.
  'multiple_client_auth_methods',
  'client_assertion_type_missing',
  'client_assertion_missing',
  'client_assertion_type_unsupported',
  'basic_malformed',
  'client_id_missing',
  'client_id_mismatch',
  'client_unknown',
  'client_disabled',
  'auth_method_mismatch',
  'secret_mismatch',
  'client_auth_missing',
  'client_auth_required',
  'public_client_not_allowed',
  // Grants and their policy.
  'grant_type_not_allowed',
  'assertion_missing',
  'client_not_allowed',
  'claim_mapping_failed',
  'token_too_large',
  'scope_malformed',
  'scope_not_allowed',
  'resource_malformed',
  'target_not_allowed',
  // Token exchange (RFC 8693).
  'token_exchange_parameter_missing',
  'token_type_unsupported',
  'actor_not_allowed',
  'broker_token_invalid',
  'broker_token_revoked',
  'broker_token_sender_constrained',
  // Refresh tokens (CONTRACT.md "Refresh tokens and DPoP").
  'refresh_token_missing',
  'refresh_token_unknown',
  'refresh_token_reused',
  'refresh_token_revoked',
  'refresh_token_expired',
  'refresh_token_client_mismatch',
  'refresh_token_dpop_mismatch',
  'refresh_issuer_inactive',
  'refresh_subject_not_allowed',
  // Token management.
  'token_of_another_client',
  // A dependency that did not answer (503), or a fault of the service (500).
  'audit_unavailable',
  'replay_store_unavailable',
  'revocation_store_unavailable',
  'refresh_token_store_unavailable',
  'trust_stale',
  'internal_error',
] as const;

export type TokenServiceReason = (typeof TOKEN_SERVICE_REASONS)[number];

/** Any reason token-service may record: its own or the rule engine's. */
export type OAuthReason = TokenServiceReason | ReasonCode;
