import { randomUUID } from 'node:crypto';
import type { AuditEventInput } from '@trust-broker/contracts';

let counter = 0;

/** A valid audit event (a successful token request) with the given fields changed. */
export function makeEvent(overrides: Partial<AuditEventInput> = {}): AuditEventInput {
  counter += 1;
  return {
    id: randomUUID(),
    type: 'token',
    occurred_at: new Date(Date.UTC(2026, 0, 1, 0, 0, counter % 3600)).toISOString(),
    outcome: 'success',
    issuer: 'https://idp.partner.example',
    client_id: 'client-a',
    subject: `user-${counter}`,
    kid: 'partner-key-1',
    jti_hash: 'a'.repeat(64),
    scope: 'read',
    grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
    request_id: `req-${counter}`,
    details: { token_jti: `t-${counter}`, nested: { n: counter, list: [1, 'two', null] } },
    ...overrides,
  };
}
