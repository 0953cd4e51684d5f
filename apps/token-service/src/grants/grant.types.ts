import type { LoggedRequest } from '@trust-broker/service-kit/logging';
import type { ReplayGuard } from '@trust-broker/validation';
import type { AuthenticatedClient } from '../client-auth/client-auth.types';
import type { FormLists, FormParameters } from '../oauth/form-body';

export { JWT_BEARER_GRANT, TOKEN_EXCHANGE_GRANT } from '@trust-broker/contracts';

/**
 * The interface of a grant (RFC 6749 §4, RFC 7523 §2.1, ...): one file per grant that
 * implements GrantHandler, registered by its `grant_type` in grant-table.ts.
 */
export const CLIENT_CREDENTIALS_GRANT = 'client_credentials';
export const REFRESH_TOKEN_GRANT = 'refresh_token';

/** Identifiers a grant learns on its way, for the request's one audit event (never a secret). */
export interface GrantAuditFields {
  issuer?: string;
  subject?: string;
  kid?: string;
  jtiHash?: string;
  scope?: string;
  /** SHA-256 (hex) of a token-exchange subject token: the token itself is never recorded. */
  subjectTokenHash?: string;
  /** The refresh-token family started or used. */
  refreshFamilyId?: string;
  /** True when this request ended that family by reuse detection: it gets its own revocation event too. */
  refreshFamilyRevokedByReuse?: boolean;
}

export interface GrantRequest {
  parameters: FormParameters;
  /** Every value of the parameters the grant lets repeat (`GrantHandler.repeatableParameters`). */
  lists?: FormLists;
  /** The authenticated (or public, method `none`) client, when one took part. */
  client: AuthenticatedClient | undefined;
  audit: GrantAuditFields;
  /** Records the grant assertion's `jti` for this request, so it can be given back. */
  replayGuard: ReplayGuard;
  /** The RFC 7638 thumbprint of the key of the request's valid DPoP proof (RFC 9449), when it sent one. */
  dpopJkt?: string;
  /** The HTTP request being served: its lines (key refresh, revocation store) carry its request_id (CONTRACT LOG_FORMAT). */
  request: LoggedRequest;
}

/** What a grant decided; the token endpoint turns it into an access token. */
export interface GrantDecision {
  subject: string;
  audience: string[];
  scopes: string[];
  ttlSeconds: number;
  /** The trusted issuer's `iss` (jwt-bearer only). */
  idp?: string;
  /** Claims from the issuer's `claim_mappings`, reserved names already removed. */
  mappedClaims: Record<string, unknown>;
  /** RFC 8693 §2.2.1 `issued_token_type`, for a token exchange. */
  issuedTokenType?: string;
  /** A refresh token issued with the access token (a new family, or the next of a rotated one). */
  refreshToken?: string;
}

/**
 * One grant type. The token endpoint finds it by `grant_type` in the grant table, runs
 * `checkClient` (when it has one) before the client's registered `grant_types` are checked,
 * then `exchange`; the endpoint mints the access token from the decision.
 */
export interface GrantHandler {
  /** A refusal that must come before `unauthorized_client` (RFC 6749 §4.4: no confidential client is 401 `invalid_client`). */
  checkClient?(client: AuthenticatedClient | undefined): void;
  /** Parameters this grant lets appear more than once (RFC 8693 §2.1); every other repeat is `invalid_request`. */
  readonly repeatableParameters?: ReadonlySet<string>;
  /**
   * Its `jti` marks (its assertion's, the request's DPoP proof's) are recorded at the end of
   * the request with its success audit event, in one Redis round trip (ReplayLedger.deferring).
   */
  readonly defersReplayMarks?: boolean;
  exchange(request: GrantRequest): Promise<GrantDecision> | GrantDecision;
}
