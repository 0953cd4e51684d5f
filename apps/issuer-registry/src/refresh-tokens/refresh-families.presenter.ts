/** A refresh-token family as the admin API shows it: identifiers and times, never a token or its hash. */
import type { RefreshFamilySummary } from '@trust-broker/contracts';
import { toIso } from '../party-keys/key-status.presenter';

/** `GET .../refresh-tokens` items: the family's owner, subject and scope, times as RFC 3339 text. */
export interface RefreshFamilyResource {
  id: string;
  client_id: RefreshFamilySummary['client_id'];
  issuer_id: RefreshFamilySummary['issuer_id'];
  issuer: RefreshFamilySummary['issuer'];
  subject: RefreshFamilySummary['subject'];
  scope: string;
  dpop_bound: boolean;
  created_at: string;
  expires_at: string;
  last_used_at: string | null;
}

export function presentRefreshFamily(row: RefreshFamilySummary): RefreshFamilyResource {
  return {
    id: row.id,
    client_id: row.client_id,
    issuer_id: row.issuer_id,
    issuer: row.issuer,
    subject: row.subject,
    scope: row.scopes.join(' '),
    dpop_bound: row.dpop_bound,
    created_at: toIso(row.created_at),
    expires_at: toIso(row.expires_at),
    last_used_at: toIso(row.last_used_at),
  };
}
