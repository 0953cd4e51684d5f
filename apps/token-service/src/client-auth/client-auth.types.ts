/**
 * Client authentication's interface (RFC 6749 §2.3, RFC 7523 §2.2): every endpoint that
 * takes client authentication (token, introspection, revocation) calls
 * `ClientAuthenticator.authenticate`, which enforces exactly one method per request.
 */
import type { ClientRow } from '@trust-broker/contracts';
import type { LoggedRequest } from '@trust-broker/service-kit/logging';
import type { ReplayGuard } from '@trust-broker/validation';
import type { FormParameters } from '../oauth/form-body';

/** The methods a client may be registered with (CONTRACT.md, "Clients"): the registry row's own list. */
export type ClientAuthMethod = ClientRow['token_endpoint_auth_method'];

export type ClientEndpoint = 'token' | 'introspection' | 'revocation';

export interface ClientAuthInput {
  endpoint: ClientEndpoint;
  /** The `Authorization` header, if any. */
  authorization: string | undefined;
  parameters: FormParameters;
  /** Records the client assertion's `jti` for this request (its ReplayLedger), so it can be given back. */
  replayGuard: ReplayGuard;
  /** Receives what a client assertion refused after its signature verified had proven, for the audit. */
  audit?: ClientAuditFields;
  /** The HTTP request being served: lines logged for it (a key refresh) name it. */
  request?: LoggedRequest;
}

/**
 * CONTRACT.md "Audit API": a failure names what was known. A client assertion refused after
 * its signature verified (replayed, revoked, too long-lived...) names its client and key;
 * never shown to the caller, who gets the refusal alone.
 */
export interface VerifiedClientFacts {
  /** The client whose key (or secret) verified the signature. */
  clientId: string;
  /** The assertion's `kid`, for the audit event's `client_kid`. */
  clientKid?: string;
  /** SHA-256 (hex) of the assertion's `jti`. */
  clientJtiHash?: string;
}

export interface ClientAuditFields {
  verifiedClient?: VerifiedClientFacts;
}

export interface AuthenticatedClient {
  clientId: string;
  method: ClientAuthMethod;
  client: ClientRow;
  /** The client assertion's `kid`, for the audit event's `client_kid`. */
  assertionKid?: string;
}

/**
 * Implemented in `client-auth/client-authenticator.service.ts`.
 * Resolves `undefined` when the request carries no client authentication and no
 * `client_id` (an anonymous request); throws `OAuthError('invalid_client')` (401, with
 * `WWW-Authenticate: Basic` when Basic was tried) on a failed authentication, and
 * `OAuthError('invalid_request')` for more than one method or a malformed one.
 * A public client (`none`) identified by `client_id` resolves with method `none`.
 */
export interface ClientAuthenticatorApi {
  authenticate(input: ClientAuthInput): Promise<AuthenticatedClient | undefined>;
}
