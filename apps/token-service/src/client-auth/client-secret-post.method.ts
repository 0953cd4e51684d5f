/**
 * `client_secret_post` (RFC 6749 §2.3.1). Enforces:
 * - `client_id` sent beside `client_secret` (400 `invalid_request` without it);
 * - the secret checked as every client secret is (client-secret.ts).
 */
import type { ClientAuthTools } from './client-auth-method';
import { clientAuthMalformed } from './client-auth.errors';
import type { AuthenticatedClient, ClientAuthInput } from './client-auth.types';
import { authenticateWithSecret } from './client-secret';
import type { PostCredential } from './detect-client-auth-method';

export function authenticateClientSecretPost(credential: PostCredential, _request: ClientAuthInput, tools: ClientAuthTools): AuthenticatedClient {
  if (credential.clientId === undefined) throw clientAuthMalformed('client_id_missing', 'client_id is required with client_secret');
  return authenticateWithSecret(tools.trust, credential.clientId, credential.secret, 'client_secret_post');
}
