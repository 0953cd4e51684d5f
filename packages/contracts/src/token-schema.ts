/**
 * What issuer-registry may call in token-service's schema (`token`), read and written only
 * through these functions (token-service's migration 1796330000003 creates them): the
 * admin API lists and revokes refresh-token families without touching the table. A
 * function renamed or changed there must change here in the same commit.
 */
export const TOKEN_FUNCTIONS = {
  /** `(owner_type, owner_id, after_created_at, after_id, max_rows)` → RefreshFamilySummary rows, oldest first. */
  activeRefreshFamilies: 'token.active_refresh_families',
  /** `(owner_type, owner_id, reason)` → RevokedRefreshFamily rows. */
  revokeRefreshFamilies: 'token.revoke_refresh_families',
} as const;

/** Whose families: a client (`client_id`) or a trusted issuer (its uuid). */
export type RefreshFamilyOwnerType = 'client' | 'issuer';

/** One usable refresh-token family, as the admin API shows it (never a token or its hash). */
export interface RefreshFamilySummary {
  id: string; // uuid
  client_id: string | null; // null: an anonymous DPoP-bound grant
  issuer_id: string; // the trusted issuer's uuid
  issuer: string; // its `iss`
  subject: string;
  scopes: string[];
  dpop_bound: boolean;
  created_at: Date;
  expires_at: Date; // the family's absolute end
  last_used_at: Date | null;
}

export interface RevokedRefreshFamily {
  id: string;
  client_id: string | null;
  issuer: string;
  subject: string;
}
