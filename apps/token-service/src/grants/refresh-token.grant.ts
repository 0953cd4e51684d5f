/**
 * The refresh-token grant (RFC 6749 §6, CONTRACT.md "Refresh tokens and DPoP").
 * Enforces, in order:
 * - `refresh_token` present (else `invalid_request`), and one of ours (else `invalid_grant`);
 * - a token already rotated is reuse: the whole family ends, `invalid_grant`
 *   (RFC 9700 §4.14.2), whoever presents it;
 * - the same client authenticated again (any method; a family started without a client
 *   needs none): else 401 `invalid_client`;
 * - a DPoP-bound family needs a valid proof of the same key (RFC 9449 §5): else `invalid_grant`;
 * - the family not revoked and within its absolute lifetime;
 * - the trust checked again: the issuer active, unexpired, still allowing refresh tokens
 *   and this client, the assertion's `sub` still accepted by its `subjects` (a disabled
 *   client cannot authenticate);
 * - scope: at most the family's, within what the issuer and client allow now (`invalid_scope`);
 * - rotation, atomic (RefreshTokenStore): one use gives one new token.
 * The access token keeps the family's subject, audience and mapped claims.
 */
import { Injectable } from '@nestjs/common';
import { clientAuthFailed } from '../client-auth/client-auth.errors';
import type { AuthenticatedClient } from '../client-auth/client-auth.types';
import { OAuthError } from '../oauth/oauth-error';
import { RefreshTokenStore, type RefreshFamily } from '../refresh/refresh-token.store';
import { recheckRefreshTrust, type RefreshTrustFailure } from '../refresh/refresh-trust-recheck';
import { TrustCache } from '../trust/trust-cache.service';
import type { CachedIssuer } from '../trust/trust.types';
import type { GrantDecision, GrantHandler, GrantRequest } from './grant.types';
import { parseScopeList, resolveScope } from './resolve-scope';

@Injectable()
export class RefreshTokenGrant implements GrantHandler {
  constructor(
    private readonly store: RefreshTokenStore,
    private readonly trust: TrustCache,
  ) {}

  async exchange(request: GrantRequest): Promise<GrantDecision> {
    const token = request.parameters.refresh_token;
    if (token === undefined) throw new OAuthError('invalid_request', 'the refresh_token parameter is required', 'refresh_token_missing');
    const presented = await this.store.find(token);
    if (!presented) throw new OAuthError('invalid_grant', 'the refresh token is invalid', 'refresh_token_unknown');
    const { family } = presented;
    request.audit.refreshFamilyId = family.id;
    request.audit.issuer = family.issuer;
    request.audit.subject = family.subject;
    if (presented.usedAt !== null) await this.endForReuse(family, request);
    checkSameClient(family, request.client);
    checkDpopBinding(family, request.dpopJkt);
    checkFamilyAlive(family, new Date());
    const issuer = this.recheckTrust(family, request.client);
    const scopes = narrowScope(request, family, issuer);

    const rotation = await this.store.rotate(token, family.id);
    if (rotation.outcome === 'reused') {
      request.audit.refreshFamilyRevokedByReuse = true;
      reuseDetected();
    }
    if (rotation.outcome === 'family_ended') {
      throw rotation.why === 'expired'
        ? new OAuthError('invalid_grant', 'the refresh token has expired', 'refresh_token_expired')
        : new OAuthError('invalid_grant', 'the refresh token has been revoked', 'refresh_token_revoked');
    }
    return {
      subject: family.subject,
      audience: family.audience,
      scopes,
      ttlSeconds: issuer.row.access_token_ttl_s,
      idp: family.issuer,
      mappedClaims: family.mappedClaims,
      refreshToken: rotation.refreshToken,
    };
  }

  /** Ends the family (once: a family already ended gets no second revocation event). */
  private async endForReuse(family: RefreshFamily, request: GrantRequest): Promise<never> {
    if (await this.store.revokeFamily(family.id, 'refresh_token_reused')) request.audit.refreshFamilyRevokedByReuse = true;
    return reuseDetected();
  }

  /** CONTRACT.md: the trust checked again (refresh-trust-recheck.ts, shared with introspection). */
  private recheckTrust(family: RefreshFamily, client: AuthenticatedClient | undefined): CachedIssuer {
    const check = recheckRefreshTrust(this.trust, family, client?.clientId);
    if (check.ok) return check.issuer;
    throw new OAuthError('invalid_grant', TRUST_FAILURE_DESCRIPTIONS[check.reason], check.reason);
  }
}

const TRUST_FAILURE_DESCRIPTIONS: Record<RefreshTrustFailure, string> = {
  refresh_issuer_inactive: 'the trusted issuer of this refresh token is no longer active',
  refresh_subject_not_allowed: 'the subject of this refresh token is no longer accepted',
  client_not_allowed: 'this client may no longer present grants of this issuer',
};

function reuseDetected(): never {
  throw new OAuthError('invalid_grant', 'the refresh token was already used; its family has been revoked', 'refresh_token_reused');
}

/** RFC 6749 §6: the refresh token is bound to the client it was issued to. */
function checkSameClient(family: RefreshFamily, client: AuthenticatedClient | undefined): void {
  if (family.clientId === null) return;
  if (client === undefined) throw clientAuthFailed('client_auth_missing');
  if (client.clientId !== family.clientId) {
    throw clientAuthFailed('refresh_token_client_mismatch');
  }
}

/** RFC 9449 §5: a bound refresh token is used only with a proof of the same key. */
function checkDpopBinding(family: RefreshFamily, dpopJkt: string | undefined): void {
  if (family.dpopJkt === null) return;
  if (dpopJkt !== family.dpopJkt) {
    throw new OAuthError('invalid_grant', 'this refresh token needs a DPoP proof signed with the key it is bound to', 'refresh_token_dpop_mismatch');
  }
}

function checkFamilyAlive(family: RefreshFamily, now: Date): void {
  if (family.revokedAt !== null) throw new OAuthError('invalid_grant', 'the refresh token has been revoked', 'refresh_token_revoked');
  if (family.expiresAt.getTime() <= now.getTime()) throw new OAuthError('invalid_grant', 'the refresh token has expired', 'refresh_token_expired');
}

/** RFC 6749 §6: the scope may only narrow; what the issuer and client allow now still limits it. */
function narrowScope(request: GrantRequest, family: RefreshFamily, issuer: CachedIssuer): string[] {
  const allowedBy: string[][] = [family.scopes, issuer.row.allowed_scopes];
  if (request.client) allowedBy.push(parseScopeList(request.client.client.scope));
  return resolveScope(request.parameters.scope, allowedBy);
}
