/**
 * The JWT bearer grant (RFC 7523 §2.1 and §3; ARCHITECTURE.md's validation order).
 * Enforces, in order:
 * - `assertion` present (else `invalid_request`);
 * - the issuer's settings (issuer-grant-policy.ts: client policy, scope, targets), refusals
 *   as `invalid_grant`;
 * - every RFC 7523 §3 rule through the rule engine, under the trusted issuer found by
 *   the exact `iss` (active, unexpired), `jti` recorded last; an unknown `kid` asks the
 *   registry for the issuer's keys and verifies once more (IssuerTokenVerifier);
 * - `claim_mappings` evaluated on the verified claims; `sub` replaced only by a mapping;
 * - a refresh token where the issuer and the request allow one (issue-refresh-token.ts).
 * The policy, scope and target checks run before verification (on the unverified `iss`,
 * only ever to refuse), so a request refused for them does not use up the `jti`; they
 * run again when the verified issuer is not the cached issuer they ran on.
 */
import { Inject, Injectable } from '@nestjs/common';
import { AssertionError, readGrantAssertion, verifyGrantAssertion, type AssertionReading, type VerifiedAssertion } from '@trust-broker/validation';
import { TOKEN_SERVICE_CONFIG, type TokenServiceConfig } from '../config/token-service.config';
import { IssuerTokenVerifier } from '../key-refresh/issuer-token-verifier';
import { fromAssertionError } from '../oauth/assertion-errors';
import { OAuthError } from '../oauth/oauth-error';
import { RefreshTokenStore } from '../refresh/refresh-token.store';
import { TrustCache } from '../trust/trust-cache.service';
import type { CachedIssuer } from '../trust/trust.types';
import { JWT_BEARER_GRANT, type GrantDecision, type GrantHandler, type GrantRequest } from './grant.types';
import { withRefreshToken } from './issue-refresh-token';
import { applyIssuerPolicy, mapIssuerClaims, recordVerifiedFacts, recordVerifiedToken, requestedScope, type IssuerPolicyOutcome } from './issuer-grant-policy';
import { requestedTargets } from './resolve-audience';

@Injectable()
export class JwtBearerGrant implements GrantHandler {
  /** Its marks and its success event: one Redis round trip at the end of the request. */
  readonly defersReplayMarks = true;

  constructor(
    private readonly trust: TrustCache,
    private readonly verifier: IssuerTokenVerifier,
    @Inject(TOKEN_SERVICE_CONFIG) private readonly config: TokenServiceConfig,
    private readonly refreshTokens: RefreshTokenStore,
  ) {}

  async exchange(request: GrantRequest): Promise<GrantDecision> {
    const assertion = request.parameters.assertion;
    if (assertion === undefined) throw new OAuthError('invalid_request', 'the assertion parameter is required', 'assertion_missing');
    // Read once: the early look at `iss` and the verification share the reading.
    const reading = readGrantAssertion(assertion);
    const unverified = this.peekIssuer(reading);
    let early: { issuer: CachedIssuer; policy: IssuerPolicyOutcome } | undefined;
    if (unverified) {
      request.audit.issuer = unverified.issuer.row.issuer;
      early = { issuer: unverified.issuer, policy: this.applyIssuerPolicy(unverified.issuer, request, unverified.claims) };
    }

    const { verified, issuer } = await this.verify(reading, request);
    recordVerifiedToken(verified, issuer, request.audit);
    // The same claims (one payload) under the same cached issuer decide the same: the early
    // outcome stands. An issuer the verification found anew (a key refresh) decides again.
    const policy = early?.issuer === issuer ? early.policy : this.applyIssuerPolicy(issuer, request, verified.claims as Record<string, unknown>);
    const { subject, mappedClaims } = mapIssuerClaims(issuer, verified, 'invalid_grant');
    request.audit.subject = subject;
    const decision: GrantDecision = {
      subject,
      audience: policy.audience,
      scopes: policy.scopes,
      ttlSeconds: issuer.row.access_token_ttl_s,
      idp: issuer.row.issuer,
      mappedClaims,
    };
    return withRefreshToken(this.refreshTokens, issuer, request, decision, { assertionSubject: verified.subject, grantType: JWT_BEARER_GRANT });
  }

  /** The trusted issuer named by the assertion's unverified `iss`, if any: used only to refuse early. */
  private peekIssuer(reading: AssertionReading): { issuer: CachedIssuer; claims: Record<string, unknown> } | undefined {
    const claims = reading.unverifiedClaims;
    if (typeof claims?.iss !== 'string') return undefined;
    try {
      const issuer = this.trust.findActiveIssuer(claims.iss);
      return issuer ? { issuer, claims } : undefined;
    } catch {
      // A trust cache that cannot answer now (too stale) is for verification to report.
      return undefined;
    }
  }

  private applyIssuerPolicy(issuer: CachedIssuer, request: GrantRequest, claims: Record<string, unknown>): IssuerPolicyOutcome {
    const requested = { scope: requestedScope(request.parameters.scope, claims), targets: requestedTargets(request.parameters) };
    return applyIssuerPolicy(issuer, request.client, requested, this.config.brokerIssuer, 'invalid_grant');
  }

  private async verify(reading: AssertionReading, { replayGuard, audit, request }: GrantRequest): Promise<{ verified: VerifiedAssertion; issuer: CachedIssuer }> {
    const audience = { brokerIssuer: this.config.brokerIssuer, tokenEndpoint: this.config.tokenEndpoint };
    try {
      return await this.verifier.verify((findIssuer) => verifyGrantAssertion(reading, { audience, replayGuard, findIssuer }), request);
    } catch (error) {
      if (error instanceof AssertionError) {
        recordVerifiedFacts(error, audit);
        throw fromAssertionError(error);
      }
      throw error;
    }
  }
}
