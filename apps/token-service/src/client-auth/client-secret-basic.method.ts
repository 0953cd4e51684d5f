/**
 * `client_secret_basic` (RFC 6749 §2.3.1). Enforces:
 * - the `Authorization: Basic` credentials well formed (read once, on detection: basic-credentials.ts);
 * - a `client_id` parameter, when sent, names the same client;
 * - the secret checked as every client secret is (client-secret.ts);
 * - every refusal answered with the Basic challenge (RFC 6749 §5.2).
 */
import type { ClientAuthTools } from './client-auth-method';
import { clientAuthFailed } from './client-auth.errors';
import type { AuthenticatedClient, ClientAuthInput } from './client-auth.types';
import { authenticateWithSecret } from './client-secret';
import type { BasicCredential } from './detect-client-auth-method';

export function authenticateClientSecretBasic(credential: BasicCredential, request: ClientAuthInput, tools: ClientAuthTools): AuthenticatedClient {
  const basic = credential.credentials;
  if (basic === 'malformed') throw clientAuthFailed('basic_malformed', true);
  if (request.parameters.client_id !== undefined && request.parameters.client_id !== basic.clientId) {
    throw clientAuthFailed('client_id_mismatch', true);
  }
  return authenticateWithSecret(tools.trust, basic.clientId, basic.secret, 'client_secret_basic');
}
