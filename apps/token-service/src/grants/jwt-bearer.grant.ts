/**
 * The JWT bearer grant (RFC 7523 §2.1 and §3; ARCHITECTURE.md's validation order).
 * Enforces, in order:
 * - `assertion` present (else `invalid_request`);
 * - the issuer's client policy (CONTRACT.md): `require_client_auth` needs an
 *   authenticated client (`none` is no authentication), `allowed_client_ids` needs a
 *   listed one (none: 401 `invalid_client`; another: 400 `invalid_grant`);
 * - scope ⊆ the issuer's `allowed_scopes` (∩ the client's scope when a client took part),
 *   requested `resource`/`audience` ⊆ the issuer's `audiences`; the requested scope is
 *   the `scope` parameter, else the assertion's `scope` claim (a space-separated string,
 *   as Google's service-account assertions ask for scope; CONTRACT.md);
 * - every RFC 7523 §3 rule through the rule engine, under the trusted issuer found by
 *   the exact `iss` (active, unexpired), `jti` recorded last; an unknown `kid` asks the
 *   registry for the issuer's keys and verifies once more;
 * - `claim_mappings` evaluated on the verified claims; `sub` replaced only by a mapping.
 * The policy, scope and target checks run before verification (on the unverified `iss`,
 * only ever to refuse), so a request refused for them does not use up the `jti`; they
 * run again on the verified issuer.
 */
import { Inject, Injectable } from '@nestjs/common';
import { decodeJwt } from 'jose';
import { sha256Hex } from '@trust-broker/secrets';
import {
  AssertionError,
  CelExpressionError,
  evaluateClaimMappings,
  MAX_ASSERTION_BYTES,
  verifyGrantAssertion,
  type GrantVerificationContext,
  type ReplayGuard,
  type VerifiedAssertion,
} from '@trust-broker/validation';
import { clientAuthFailed } from '../client-auth/client-auth.errors';
import type { AuthenticatedClient } from '../client-auth/client-auth.types';
import { TOKEN_SERVICE_CONFIG, type TokenServiceConfig } from '../config/token-service.config';
import { KeyRefreshService } from '../key-refresh/key-refresh.service';
import { fromAssertionError, isUnknownKid } from '../oauth/assertion-errors';
import { OAuthError } from '../oauth/oauth-error';
import { TrustCache } from '../trust/trust-cache.service';
import type { CachedIssuer } from '../trust/trust.types';
import type { GrantAuditFields, GrantDecision, GrantHandler, GrantRequest } from './grant.types';
import { resolveAudience } from './resolve-audience';
import { parseScopeList, resolveScope } from './resolve-scope';

/** Claims the broker sets itself; a claim mapping never overrides them (`sub` is the one exception). */
const RESERVED_CLAIMS = new Set(['iss', 'aud', 'exp', 'iat', 'nbf', 'jti', 'client_id', 'scope', 'idp', 'cnf', 'act', 'may_act']);

interface IssuerPolicyOutcome {
  scopes: string[];
  audience: string[];
}

@Injectable()
export class JwtBearerGrant implements GrantHandler {
  constructor(
    private readonly trust: TrustCache,
    private readonly keyRefresh: KeyRefreshService,
    @Inject(TOKEN_SERVICE_CONFIG) private readonly config: TokenServiceConfig,
  ) {}

  async exchange(request: GrantRequest): Promise<GrantDecision> {
    const assertion = request.parameters.assertion;
    if (assertion === undefined) throw new OAuthError('invalid_request', 'the assertion parameter is required', 'assertion_missing');
    const unverified = this.peekIssuer(assertion);
    if (unverified) {
      request.audit.issuer = unverified.issuer.row.issuer;
      this.applyIssuerPolicy(unverified.issuer, request, requestedScope(request, unverified.claims));
    }

    const { verified, issuer } = await this.verify(assertion, request.replayGuard, request.audit);
    request.audit.issuer = issuer.row.issuer;
    request.audit.subject = verified.subject;
    if (verified.kid !== undefined) request.audit.kid = verified.kid;
    if (verified.jti !== undefined) request.audit.jtiHash = sha256Hex(verified.jti);

    const policy = this.applyIssuerPolicy(issuer, request, requestedScope(request, verified.claims));
    const mappedClaims = this.mapClaims(issuer, verified);
    const mappedSubject = mappedClaims.sub;
    delete mappedClaims.sub;
    const subject = typeof mappedSubject === 'string' && mappedSubject.length > 0 ? mappedSubject : verified.subject;
    request.audit.subject = subject;
    return {
      subject,
      audience: policy.audience,
      scopes: policy.scopes,
      ttlSeconds: issuer.row.access_token_ttl_s,
      idp: issuer.row.issuer,
      mappedClaims,
    };
  }

  /** The trusted issuer named by the assertion's unverified `iss`, if any: used only to refuse early. */
  private peekIssuer(assertion: string): { issuer: CachedIssuer; claims: Record<string, unknown> } | undefined {
    if (assertion.length > MAX_ASSERTION_BYTES) return undefined;
    try {
      const claims = decodeJwt(assertion);
      const issuer = typeof claims.iss === 'string' ? this.trust.findActiveIssuer(claims.iss) : undefined;
      return issuer ? { issuer, claims } : undefined;
    } catch {
      return undefined;
    }
  }

  private applyIssuerPolicy(issuer: CachedIssuer, request: GrantRequest, requested: string | undefined): IssuerPolicyOutcome {
    checkClientPolicy(issuer, request.client);
    const allowedBy: string[][] = [issuer.row.allowed_scopes];
    if (request.client) allowedBy.push(parseScopeList(request.client.client.scope));
    const scopes = resolveScope(requested, allowedBy);
    const fallback = issuer.row.audiences.length > 0 ? issuer.row.audiences : [this.config.brokerIssuer];
    const audience = resolveAudience(request.parameters, issuer.row.audiences, fallback);
    return { scopes, audience };
  }

  private async verify(assertion: string, replayGuard: ReplayGuard, audit: GrantAuditFields): Promise<{ verified: VerifiedAssertion; issuer: CachedIssuer }> {
    let found: CachedIssuer | undefined;
    let keysVersionAtLookup = -1;
    const context: GrantVerificationContext = {
      audience: { brokerIssuer: this.config.brokerIssuer, tokenEndpoint: this.config.tokenEndpoint },
      replayGuard,
      findIssuer: (iss) => {
        const issuer = this.trust.findActiveIssuer(iss);
        if (!issuer) return undefined;
        found = issuer;
        keysVersionAtLookup = issuer.keysVersion;
        return issuer.policy;
      },
    };
    try {
      try {
        return { verified: await verifyGrantAssertion(assertion, context), issuer: found! };
      } catch (error) {
        if (!isUnknownKid(error) || !found) throw error;
        const changed = await this.keyRefresh.refreshAndWait('issuer', found.row.id, error.kid, keysVersionAtLookup);
        if (!changed) throw error;
        return { verified: await verifyGrantAssertion(assertion, context), issuer: found };
      }
    } catch (error) {
      if (error instanceof AssertionError) {
        recordVerifiedFacts(error, audit);
        throw fromAssertionError(error);
      }
      throw error;
    }
  }

  private mapClaims(issuer: CachedIssuer, verified: VerifiedAssertion): Record<string, unknown> {
    const mappings = issuer.row.claim_mappings;
    if (!mappings || Object.keys(mappings).length === 0) return {};
    let mapped: Record<string, unknown>;
    try {
      mapped = evaluateClaimMappings(mappings, verified.claims as Record<string, unknown>);
    } catch (error) {
      if (error instanceof CelExpressionError) {
        throw new OAuthError('invalid_grant', 'the assertion could not be mapped to token claims', 'claim_mapping_failed');
      }
      throw error;
    }
    const kept: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(mapped)) {
      if (!RESERVED_CLAIMS.has(name) && value !== undefined && value !== null) kept[name] = value;
    }
    return kept;
  }
}

/**
 * CONTRACT.md: the `scope` parameter; without it, the assertion's `scope` claim. A claim
 * that is not a string is malformed (never read as "no scope", which would grant all).
 */
function requestedScope(request: GrantRequest, claims: Record<string, unknown>): string | undefined {
  if (request.parameters.scope !== undefined) return request.parameters.scope;
  const claim = claims.scope;
  if (claim === undefined) return undefined;
  if (typeof claim !== 'string') throw new OAuthError('invalid_scope', 'the assertion\'s scope claim must be a space-separated string', 'scope_malformed');
  return claim;
}

/**
 * CONTRACT.md "Audit API": a refusal after the signature verified still names the issuer,
 * subject, kid and jti (hashed) that the party asserted; before it, only the unverified
 * `iss` the policy checks used.
 */
function recordVerifiedFacts(error: AssertionError, audit: GrantAuditFields): void {
  const facts = error.verified;
  if (!facts) return;
  audit.issuer = facts.issuer;
  if (facts.subject !== undefined) audit.subject = facts.subject;
  if (facts.kid !== undefined) audit.kid = facts.kid;
  if (facts.jti !== undefined) audit.jtiHash = sha256Hex(facts.jti);
}

/** CONTRACT.md: `require_client_auth` and `allowed_client_ids`. */
function checkClientPolicy(issuer: CachedIssuer, client: AuthenticatedClient | undefined): void {
  const authenticated = client !== undefined && client.method !== 'none';
  if (issuer.row.require_client_auth && !authenticated) {
    throw clientAuthFailed('client_auth_required');
  }
  const allowed = issuer.row.allowed_client_ids;
  if (allowed.length === 0) return;
  if (!authenticated) throw clientAuthFailed('client_auth_required');
  if (!allowed.includes(client.clientId)) {
    throw new OAuthError('invalid_grant', 'this client may not present assertions of this issuer', 'client_not_allowed');
  }
}
