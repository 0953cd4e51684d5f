/**
 * Admits the client a method step names (RFC 6749 §2.3, CONTRACT.md "Clients"): a
 * disabled or expired client authenticates nobody, and the method used must be the client's
 * registered `token_endpoint_auth_method`. Each step admits at the point its own rules fix
 * (a secret is compared first, so that no refusal comes before the comparison).
 */
import type { OAuthReason } from '../oauth/reasons';
import { isActive } from '../trust/trust-cache.service';
import type { CachedClient } from '../trust/trust.types';
import { clientAuthFailed } from './client-auth.errors';
import type { ClientAuthMethod } from './client-auth.types';

/** `otherMethod`: the reason when the client registered another method; `basicTried`: refusals carry the Basic challenge. */
export function admitClient(client: CachedClient, method: ClientAuthMethod, otherMethod: OAuthReason, basicTried = false): void {
  if (!isActive(client.row, Date.now())) throw clientAuthFailed('client_disabled', basicTried);
  if (client.row.token_endpoint_auth_method !== method) throw clientAuthFailed(otherMethod, basicTried);
}
