/**
 * A client assertion refused before its signature verified says no more than any other
 * failed authentication; after it, the client proved its key and may learn why (expired,
 * replayed, wrong audience...), and the audit names the client and its key (CONTRACT.md
 * "Audit API"; `client` is the one whose keys verified the signature).
 */
import { sha256Hex } from '@trust-broker/secrets';
import type { AssertionError } from '@trust-broker/validation';
import { fromAssertionError } from '../oauth/assertion-errors';
import type { CachedClient } from '../trust/trust.types';
import { clientAuthFailed } from './client-auth.errors';
import type { ClientAuditFields } from './client-auth.types';

export function asClientAuthError(error: AssertionError, client: CachedClient | undefined, audit: ClientAuditFields | undefined): Error {
  if (error.error === 'invalid_client' && error.verified === undefined) return clientAuthFailed(error.reason);
  if (error.verified !== undefined && client !== undefined && audit !== undefined) {
    const { kid, jti } = error.verified;
    audit.verifiedClient = {
      clientId: client.row.client_id,
      ...(kid !== undefined && { clientKid: kid }),
      ...(jti !== undefined && { clientJtiHash: sha256Hex(jti) }),
    };
  }
  return fromAssertionError(error);
}
