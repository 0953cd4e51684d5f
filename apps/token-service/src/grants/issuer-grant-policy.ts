/**
 * What a trusted issuer's settings decide for every grant that turns one of its tokens
 * into an access token: the jwt-bearer grant (RFC 7523 §2.1) and the token exchange of a
 * subject token (RFC 8693 §2.1). Enforces (CONTRACT.md):
 * - `require_client_auth` needs an authenticated client (`none` is no authentication),
 *   `allowed_client_ids` needs a listed one (none: 401 `invalid_client`; another: the
 *   grant's refusal code, `invalid_grant` or, for an exchange, `invalid_request`);
 * - scope ⊆ the issuer's `allowed_scopes` (∩ the client's scope when a client took part);
 *   the requested scope is the `scope` parameter, else the token's `scope` claim;
 * - requested targets ⊆ the issuer's `audiences` (else `invalid_target`); none: the
 *   issuer's `audiences`, else the broker's issuer identifier;
 * - `claim_mappings` evaluated on the verified claims, never over the broker's own claims;
 *   `sub` replaced only by a mapping.
 */
import { sha256Hex } from '@trust-broker/secrets';
import { AssertionError, CelExpressionError, evaluateClaimMappings, type VerifiedAssertion } from '@trust-broker/validation';
import { clientAuthFailed } from '../client-auth/client-auth.errors';
import type { AuthenticatedClient } from '../client-auth/client-auth.types';
import { OAuthError, type OAuthErrorCode } from '../oauth/oauth-error';
import type { CachedIssuer } from '../trust/trust.types';
import type { GrantAuditFields } from './grant.types';
import { resolveTargets } from './resolve-audience';
import { parseScopeList, resolveScope } from './resolve-scope';

/** Claims the broker sets itself; a claim mapping never overrides them (`sub` is the one exception). */
const RESERVED_CLAIMS = new Set(['iss', 'aud', 'exp', 'iat', 'nbf', 'jti', 'client_id', 'scope', 'idp', 'cnf', 'act', 'may_act']);

/** The code a grant answers when one of the issuer's rules refuses: `invalid_grant` (RFC 7523), `invalid_request` (RFC 8693 §2.2.2). */
export type IssuerRefusal = Extract<OAuthErrorCode, 'invalid_grant' | 'invalid_request'>;

export interface IssuerPolicyOutcome {
  scopes: string[];
  audience: string[];
}

export function applyIssuerPolicy(
  issuer: CachedIssuer,
  client: AuthenticatedClient | undefined,
  requested: { scope: string | undefined; targets: readonly string[] },
  brokerIssuer: string,
  refusal: IssuerRefusal,
): IssuerPolicyOutcome {
  checkClientPolicy(issuer, client, refusal);
  const allowedBy: string[][] = [issuer.row.allowed_scopes];
  if (client) allowedBy.push(parseScopeList(client.client.scope));
  const scopes = resolveScope(requested.scope, allowedBy);
  const fallback = issuer.row.audiences.length > 0 ? issuer.row.audiences : [brokerIssuer];
  const audience = resolveTargets(requested.targets, issuer.row.audiences, fallback);
  return { scopes, audience };
}

/**
 * CONTRACT.md: the `scope` parameter; without it, the token's `scope` claim. A claim that
 * is not a string is malformed (never read as "no scope", which would grant all).
 */
export function requestedScope(parameter: string | undefined, claims: Record<string, unknown>): string | undefined {
  if (parameter !== undefined) return parameter;
  const claim = claims.scope;
  if (claim === undefined) return undefined;
  if (typeof claim !== 'string') throw new OAuthError('invalid_scope', "the token's scope claim must be a space-separated string", 'scope_malformed');
  return claim;
}

/** The issuer's `claim_mappings` over the verified claims, and the subject they make (a mapped `sub`, else the token's). */
export function mapIssuerClaims(issuer: CachedIssuer, verified: VerifiedAssertion, refusal: IssuerRefusal): { subject: string; mappedClaims: Record<string, unknown> } {
  const mappings = issuer.row.claim_mappings;
  if (!mappings || Object.keys(mappings).length === 0) return { subject: verified.subject, mappedClaims: {} };
  let mapped: Record<string, unknown>;
  try {
    mapped = evaluateClaimMappings(mappings, verified.claims as Record<string, unknown>);
  } catch (error) {
    if (error instanceof CelExpressionError) throw new OAuthError(refusal, 'the token could not be mapped to access token claims', 'claim_mapping_failed');
    throw error;
  }
  const mappedClaims: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(mapped)) {
    if (!RESERVED_CLAIMS.has(name) && value !== undefined && value !== null) mappedClaims[name] = value;
  }
  const mappedSubject = mappedClaims.sub;
  delete mappedClaims.sub;
  return { subject: typeof mappedSubject === 'string' && mappedSubject.length > 0 ? mappedSubject : verified.subject, mappedClaims };
}

/** The audit fields a verified token gives: issuer, subject, kid and the `jti` as its hash. */
export function recordVerifiedToken(verified: VerifiedAssertion, issuer: CachedIssuer, audit: GrantAuditFields): void {
  audit.issuer = issuer.row.issuer;
  audit.subject = verified.subject;
  if (verified.kid !== undefined) audit.kid = verified.kid;
  if (verified.jti !== undefined) audit.jtiHash = sha256Hex(verified.jti);
}

/**
 * CONTRACT.md "Audit API": a refusal after the signature verified still names the issuer,
 * subject, kid and jti (hashed) that the party asserted; before it, only the unverified
 * `iss` the policy checks used.
 */
export function recordVerifiedFacts(error: AssertionError, audit: GrantAuditFields): void {
  const facts = error.verified;
  if (!facts) return;
  audit.issuer = facts.issuer;
  if (facts.subject !== undefined) audit.subject = facts.subject;
  if (facts.kid !== undefined) audit.kid = facts.kid;
  if (facts.jti !== undefined) audit.jtiHash = sha256Hex(facts.jti);
}

/** CONTRACT.md: `require_client_auth` and `allowed_client_ids`. */
export function checkClientPolicy(issuer: CachedIssuer, client: AuthenticatedClient | undefined, refusal: IssuerRefusal): void {
  const authenticated = client !== undefined && client.method !== 'none';
  if (issuer.row.require_client_auth && !authenticated) {
    throw clientAuthFailed('client_auth_required');
  }
  const allowed = issuer.row.allowed_client_ids;
  if (allowed.length === 0) return;
  if (!authenticated) throw clientAuthFailed('client_auth_required');
  if (!allowed.includes(client.clientId)) {
    throw new OAuthError(refusal, "this client may not present this issuer's tokens", 'client_not_allowed');
  }
}
