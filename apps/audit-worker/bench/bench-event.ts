/** The event both audit benches store: a token or admin event of realistic size and spread. */
import { randomUUID } from 'node:crypto';
import type { AuditEventInput } from '@trust-broker/contracts';

export function benchEvent(i: number): AuditEventInput {
  return {
    id: randomUUID(),
    type: i % 10 === 0 ? 'admin' : 'token',
    occurred_at: new Date().toISOString(),
    outcome: i % 7 === 0 ? 'failure' : 'success',
    reason: i % 7 === 0 ? 'assertion_expired' : null,
    issuer: `https://idp-${i % 20}.example`,
    client_id: `client-${i % 50}`,
    subject: `user-${i}`,
    kid: 'key-1',
    jti_hash: 'b'.repeat(64),
    scope: 'read write',
    grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
    request_id: randomUUID(),
    details: { token_jti: randomUUID() },
  };
}
