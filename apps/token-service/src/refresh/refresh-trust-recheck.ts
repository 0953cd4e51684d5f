/**
 * The trust of a refresh-token family checked again (CONTRACT.md "Refresh tokens and DPoP"):
 * the issuer active and unexpired (the cache holds only those), still the same issuer and
 * still allowing refresh tokens, its `subjects` still accepting the assertion's `sub`, its
 * `allowed_client_ids` still naming the client. Shared by the refresh grant (a failure is
 * 400 `invalid_grant`) and introspection (a failure is `{"active": false}`, RFC 7662 §2.2:
 * active means usable). A disabled client cannot authenticate, so neither reaches here.
 */
import type { TrustCache } from '../trust/trust-cache.service';
import type { CachedIssuer } from '../trust/trust.types';
import type { RefreshFamily } from './refresh-token.store';

export type RefreshTrustFailure = 'refresh_issuer_inactive' | 'refresh_subject_not_allowed' | 'client_not_allowed';

export type RefreshTrustCheck = { ok: true; issuer: CachedIssuer } | { ok: false; reason: RefreshTrustFailure };

export function recheckRefreshTrust(trust: TrustCache, family: RefreshFamily, clientId: string | undefined): RefreshTrustCheck {
  const issuer = trust.findActiveIssuer(family.issuer);
  if (!issuer || issuer.row.id !== family.issuerId || !issuer.row.refresh_tokens) return { ok: false, reason: 'refresh_issuer_inactive' };
  const subjects = issuer.row.subjects;
  if (!subjects.includes('*') && !subjects.includes(family.assertionSubject)) return { ok: false, reason: 'refresh_subject_not_allowed' };
  const allowed = issuer.row.allowed_client_ids;
  if (allowed.length > 0 && (clientId === undefined || !allowed.includes(clientId))) return { ok: false, reason: 'client_not_allowed' };
  return { ok: true, issuer };
}
