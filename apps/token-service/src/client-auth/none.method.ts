/**
 * `none`: a public client (RFC 6749 §2.1) names itself with `client_id` and nothing else.
 * Enforces:
 * - the client known, active, and registered as public: a confidential client that sent
 *   no credential is refused (`client_auth_required`), never taken for a public one.
 */
import { admitClient } from './admit-client';
import type { ClientAuthTools } from './client-auth-method';
import { clientAuthFailed } from './client-auth.errors';
import type { AuthenticatedClient, ClientAuthInput } from './client-auth.types';
import type { ClientIdOnlyCredential } from './detect-client-auth-method';

export function identifyPublicClient(credential: ClientIdOnlyCredential, _request: ClientAuthInput, tools: ClientAuthTools): AuthenticatedClient {
  const client = tools.trust.findClient(credential.clientId);
  if (!client) throw clientAuthFailed('client_unknown');
  admitClient(client, 'none', 'client_auth_required');
  return { clientId: credential.clientId, method: 'none', client: client.row };
}
