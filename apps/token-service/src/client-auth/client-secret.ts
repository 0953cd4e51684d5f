/**
 * The secret check of `client_secret_basic` and `client_secret_post` (RFC 6749 §2.3.1).
 * Enforces:
 * - the secret compared in constant time before any refusal, against a dummy secret when
 *   the client is unknown, so that the answer's timing does not tell whether it exists;
 * - the client known and admitted (admit-client.ts) for this very method;
 * - the client holds a secret (one that decrypts), and it is the one sent.
 */
import { constantTimeEqual } from '@trust-broker/secrets';
import type { TrustCache } from '../trust/trust-cache.service';
import { admitClient } from './admit-client';
import { clientAuthFailed } from './client-auth.errors';
import type { AuthenticatedClient } from './client-auth.types';

/** Compared against when the client is unknown, so both paths cost the same. */
const DUMMY_SECRET = Buffer.alloc(43, 'x');

export function authenticateWithSecret(
  trust: TrustCache,
  clientId: string,
  presented: string,
  method: 'client_secret_basic' | 'client_secret_post',
): AuthenticatedClient {
  const basicTried = method === 'client_secret_basic';
  const client = trust.findClient(clientId);
  const matches = constantTimeEqual(Buffer.from(presented, 'utf8'), client?.secret ?? DUMMY_SECRET);
  if (!client) throw clientAuthFailed('client_unknown', basicTried);
  admitClient(client, method, 'auth_method_mismatch', basicTried);
  if (!client.secret || !matches) throw clientAuthFailed('secret_mismatch', basicTried);
  return { clientId, method, client: client.row };
}
