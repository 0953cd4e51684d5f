/**
 * Enforces the admin's revocations of client assertions, by `jti` or by signing key
 * `kid` (CONTRACT.md `assertion-revocations`; the answer to RFC 7523 §3 rule 7 for
 * reusable, long-lived client assertions).
 */
import { reject } from '../assertion-kind';
import type { ClientAssertionPolicy } from '../types';

export function checkNotRevoked(policy: Pick<ClientAssertionPolicy, 'isRevoked'>, jti: string | undefined, kid: string | undefined): void {
  if (policy.isRevoked === undefined) return;
  const query: { jti?: string; kid?: string } = {};
  if (jti !== undefined) query.jti = jti;
  if (kid !== undefined) query.kid = kid;
  if (policy.isRevoked(query)) throw reject('client', 'assertion_revoked', 'This client assertion has been revoked');
}
