/** A refresh-token family as the admin API shows it: identifiers and times, never a token or its hash. */
import type { RefreshFamilySummary } from '@trust-broker/contracts';
import { toIso } from '../party-keys/key-status.presenter';

export function presentRefreshFamily(row: RefreshFamilySummary): Record<string, unknown> {
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
