/**
 * OAuth 2.0 errors (RFC 6749 §5.2, RFC 7009, RFC 7662, RFC 8707, RFC 9449 §5): the code, a
 * description safe to show the client, the audit reason, and the HTTP status
 * (`invalid_client` is 401, `temporarily_unavailable` 503, the rest 400). A refusal that
 * came after a client assertion's signature verified also carries what that proved, for
 * the audit event only (CONTRACT.md "Audit API": a failure names what was known).
 */
import { ApiError } from '@trust-broker/service-kit/errors';
import type { OAuthReason } from './reasons';

export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'invalid_dpop_proof'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'unsupported_token_type'
  | 'temporarily_unavailable'
  | 'server_error';

const STATUS: Record<OAuthErrorCode, number> = {
  invalid_request: 400,
  invalid_client: 401,
  invalid_grant: 400,
  invalid_dpop_proof: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  invalid_scope: 400,
  invalid_target: 400,
  unsupported_token_type: 400,
  temporarily_unavailable: 503,
  server_error: 500,
};

/** What a client assertion refused after its signature verified had proven (never shown to the caller). */
export interface VerifiedClientFacts {
  /** The client whose key (or secret) verified the signature. */
  clientId: string;
  /** The assertion's `kid`, for the audit event's `client_kid`. */
  clientKid?: string;
  /** SHA-256 (hex) of the assertion's `jti`. */
  clientJtiHash?: string;
}

export class OAuthError extends ApiError {
  /** Set when a client assertion was refused after its signature verified. */
  verifiedClient?: VerifiedClientFacts;

  constructor(
    readonly code: OAuthErrorCode,
    description: string,
    override readonly reason: OAuthReason,
    headers: Record<string, string> = {},
    status: number = STATUS[code],
  ) {
    super(status, code, description, reason, headers);
    this.name = 'OAuthError';
  }
}
