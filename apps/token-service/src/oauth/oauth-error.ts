/**
 * OAuth 2.0 errors (RFC 6749 §5.2, RFC 7009, RFC 7662, RFC 8707, RFC 9449 §5): the code, a
 * description safe to show the client, the audit reason, and the HTTP status
 * (`invalid_client` is 401, `temporarily_unavailable` 503, the rest 400).
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

export class OAuthError extends ApiError {
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
