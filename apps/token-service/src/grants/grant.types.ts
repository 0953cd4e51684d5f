import type { ReplayGuard } from '@trust-broker/validation';
import type { AuthenticatedClient } from '../client-auth/client-auth.types';
import type { FormParameters } from '../oauth/form-body';

export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
export const CLIENT_CREDENTIALS_GRANT = 'client_credentials';
/** The grant types this broker supports (CONTRACT.md), for RFC 8414 metadata too. */
export const SUPPORTED_GRANT_TYPES: readonly string[] = [JWT_BEARER_GRANT, CLIENT_CREDENTIALS_GRANT];

/** Identifiers a grant learns on its way, for the request's one audit event (never a secret). */
export interface GrantAuditFields {
  issuer?: string;
  subject?: string;
  kid?: string;
  jtiHash?: string;
  scope?: string;
}

export interface GrantRequest {
  parameters: FormParameters;
  /** The authenticated (or public, method `none`) client, when one took part. */
  client: AuthenticatedClient | undefined;
  audit: GrantAuditFields;
  /** Records the grant assertion's `jti` for this request, so it can be given back. */
  replayGuard: ReplayGuard;
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
}
