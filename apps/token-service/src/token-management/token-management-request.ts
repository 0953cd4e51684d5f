/**
 * Steps shared by the token-management endpoints, introspection (RFC 7662) and
 * revocation (RFC 7009):
 * - the caller must authenticate as a confidential client (RFC 7662 §2.1, RFC 7009 §2.1):
 *   no authentication or a public client (`none`) is 401 `invalid_client`;
 * - `token` is required (`invalid_request`);
 * - a dependency that does not answer (audit queue, replay or revocation store) is 503
 *   `temporarily_unavailable`: nothing is answered unchecked or unaudited;
 * - one audit event per request, with identifiers only (the token's `jti` hashed).
 * The pipeline that runs these steps in order is TokenManagementPipeline.
 */
import { randomUUID } from 'node:crypto';
import type { AuditEventInput } from '@trust-broker/contracts';
import { sha256Hex } from '@trust-broker/secrets';
import type { ReplayGuard } from '@trust-broker/validation';
import type { AuthenticatedClient, ClientAuthenticatorApi, ClientEndpoint } from '../client-auth/client-auth.types';
import type { FormParameters } from '../oauth/form-body';
import { dependencyUnavailableAnswer, DependencyUnavailableError } from '../oauth/dependency-unavailable';
import { clientAuthFailed } from '../client-auth/client-auth.errors';
import { OAuthError, type VerifiedClientFacts } from '../oauth/oauth-error';
import type { OAuthReason } from '../oauth/reasons';
import type { AccessTokenClaims } from '../signing-keys/access-token.types';

/** The parts of the Fastify request the endpoints read. */
export interface OAuthHttpRequest {
  id: string;
  ip: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export async function authenticateConfidentialCaller(
  authenticator: ClientAuthenticatorApi,
  endpoint: ClientEndpoint,
  request: OAuthHttpRequest,
  parameters: FormParameters,
  replayGuard: ReplayGuard,
): Promise<AuthenticatedClient> {
  const authorization = typeof request.headers.authorization === 'string' ? request.headers.authorization : undefined;
  const client = await authenticator.authenticate({ endpoint, authorization, parameters, replayGuard });
  if (!client) throw clientAuthFailed('client_auth_missing');
  if (client.method === 'none') throw clientAuthFailed('public_client_not_allowed');
  return client;
}

export function requireTokenParameter(parameters: FormParameters): string {
  const token = parameters.token;
  if (token === undefined) throw new OAuthError('invalid_request', 'the token parameter is required', 'token_missing');
  return token;
}

/** The error to answer: OAuth errors as they are, unavailable dependencies as 503, anything else unchanged (500). */
export function toEndpointError(error: unknown): unknown {
  if (error instanceof OAuthError) return error;
  if (error instanceof DependencyUnavailableError) return dependencyUnavailableAnswer(error);
  return error;
}

/** What the audit names of a refresh-token family (never the token). */
export interface RefreshFamilyFacts {
  id: string;
  issuer: string;
  subject: string;
  scopes: string[];
}

export interface TokenManagementAuditInput {
  type: 'introspection' | 'revocation';
  request: OAuthHttpRequest;
  client?: AuthenticatedClient;
  /** A client assertion refused after its signature verified: its client and key, for the audit only. */
  verifiedClient?: VerifiedClientFacts;
  claims?: AccessTokenClaims;
  refreshFamily?: RefreshFamilyFacts;
  outcome: 'success' | 'failure';
  reason?: OAuthReason;
  error?: string;
  details?: Record<string, unknown>;
}

/** An audit event naming the caller and the token's identifiers, never the token itself. */
export function buildTokenManagementAuditEvent(input: TokenManagementAuditInput): AuditEventInput {
  const { claims, client, verifiedClient, refreshFamily } = input;
  return {
    id: randomUUID(),
    type: input.type,
    occurred_at: new Date().toISOString(),
    outcome: input.outcome,
    reason: input.reason ?? null,
    error: input.error ?? null,
    actor: client ? clip(`client:${client.clientId}`, 256) : 'anonymous',
    client_id: clip(client?.clientId ?? verifiedClient?.clientId, 256),
    client_kid: clip(client?.assertionKid ?? verifiedClient?.clientKid, 256),
    issuer: clip(claims?.idp ?? refreshFamily?.issuer, 2048),
    subject: clip(claims?.sub ?? refreshFamily?.subject, 1024),
    jti_hash: typeof claims?.jti === 'string' ? sha256Hex(claims.jti) : null,
    scope: clip(claims?.scope ?? refreshFamily?.scopes.join(' '), 4096),
    request_id: clip(input.request.id, 128),
    remote_addr: clip(input.request.ip, 64),
    details: input.details ?? (verifiedClient?.clientJtiHash !== undefined ? { client_jti_hash: verifiedClient.clientJtiHash } : null),
  };
}

/** Audit fields have length limits; an over-long value is cut rather than losing the event. */
function clip(value: unknown, max: number): string | null {
  return typeof value === 'string' ? value.slice(0, max) : null;
}
