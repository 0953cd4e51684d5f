/**
 * The one audit event of an OAuth request (CONTRACT.md "Audit API"): type, outcome, the
 * reason and error code of a failure, and what was known when it ended: the client
 * (authenticated, else a client assertion's verified client, else the `client_id` sent),
 * the grant's or the presented token's issuer, subject, kid and `jti` (hashed). Never an
 * assertion, a token or a secret; over-long values are cut rather than losing the event.
 */
import { randomUUID } from 'node:crypto';
import type { AuditEventInput } from '@trust-broker/contracts';
import type { GrantAuditFields } from '../grants/grant.types';
import type { ClientAuditFields, VerifiedClientFacts } from '../client-auth/client-auth.types';
import type { OAuthError } from '../oauth/oauth-error';
import type { OAuthReason } from '../oauth/reasons';
import type { EndpointContext } from './endpoint.types';

/** Identifiers learnt step by step: a grant fills its GrantAuditFields (issuer, subject, kid, jtiHash, scope). */
export interface RequestAudit extends GrantAuditFields, ClientAuditFields {
  /** The `client_id` parameter as sent, for failures before or during authentication. */
  claimedClientId?: string;
  /** Only once it names a grant of the grant table. */
  grantType?: string;
  /** The RFC 7638 thumbprint of the key of the request's valid DPoP proof (RFC 9449). */
  dpopJkt?: string;
  /** A refusal answered 200 (revocation of another client's token, RFC 7009 §2.1): recorded as a failure. */
  refusal?: OAuthReason;
  /** Secret-free details of a request that succeeded (`token_jti`, `active`...). */
  details?: Record<string, unknown>;
}

export function buildAuditEvent(context: EndpointContext, failure?: OAuthError): AuditEventInput {
  const { audit, client, request } = context;
  // A client assertion refused after its signature verified: its client and key are known, not authenticated (the actor stays anonymous).
  const verified = client ? undefined : audit.verifiedClient;
  return {
    id: randomUUID(),
    type: context.endpoint,
    occurred_at: new Date().toISOString(),
    outcome: failure || audit.refusal ? 'failure' : 'success',
    reason: clip(failure ? failure.reason ?? failure.code : audit.refusal, 128),
    error: failure ? failure.code : null,
    actor: client ? clip(`client:${client.clientId}`, 256) : 'anonymous',
    issuer: clip(audit.issuer, 2048),
    client_id: clip(client?.clientId ?? verified?.clientId ?? audit.claimedClientId, 256),
    subject: clip(audit.subject, 1024),
    kid: clip(audit.kid, 256),
    client_kid: clip(client?.assertionKid ?? verified?.clientKid, 256),
    jti_hash: audit.jtiHash ?? null,
    scope: clip(audit.scope, 4096),
    grant_type: clip(audit.grantType, 256),
    request_id: clip(String(request.id), 128),
    remote_addr: clip(request.ip, 64),
    details: eventDetails(audit, verified, failure !== undefined),
  };
}

/**
 * The revocation event of a refresh-token family that the request ended by reuse detection
 * (RFC 9700 §4.14.2): one per family ended, beside the request's own failed token event, as
 * `/oauth2/revoke` and the admin API record theirs. Undefined when the request ended none.
 */
export function buildReuseRevocationEvent(context: EndpointContext): AuditEventInput | undefined {
  const { audit } = context;
  if (!audit.refreshFamilyRevokedByReuse || audit.refreshFamilyId === undefined) return undefined;
  return {
    ...buildAuditEvent(context),
    type: 'revocation',
    outcome: 'success',
    reason: 'refresh_token_reused',
    error: null,
    grant_type: null,
    details: { revoked: true, token_type: 'refresh_token', refresh_family_id: audit.refreshFamilyId, family_ended: true },
  };
}

/**
 * A success's own details (`token_jti`, `active`...); on failure the verified client
 * assertion's `jti` hash (`jti_hash` holds the grant assertion's or the presented token's);
 * either way a token-exchange subject token only as its SHA-256, the DPoP key's thumbprint
 * and the refresh-token family, when there are.
 */
function eventDetails(audit: RequestAudit, verified: VerifiedClientFacts | undefined, failed: boolean): Record<string, unknown> | null {
  const details: Record<string, unknown> = failed ? {} : { ...audit.details };
  if (failed && verified?.clientJtiHash !== undefined) details.client_jti_hash = verified.clientJtiHash;
  if (audit.subjectTokenHash !== undefined) details.subject_token_sha256 = audit.subjectTokenHash;
  if (audit.dpopJkt !== undefined) details.dpop_jkt = audit.dpopJkt;
  if (audit.refreshFamilyId !== undefined) details.refresh_family_id = audit.refreshFamilyId;
  return Object.keys(details).length > 0 ? details : null;
}

function clip(value: string | undefined, max: number): string | null {
  if (value === undefined) return null;
  return value.length > max ? value.slice(0, max) : value;
}
