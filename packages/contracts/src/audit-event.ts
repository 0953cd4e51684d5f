import { z } from 'zod';

/**
 * An audit event: one per token request (success or failure) and per admin change.
 * It names the identifiers involved and never carries an assertion, a token or a
 * secret: the `jti` only as a SHA-256 hash (`jti_hash`, hex).
 */
export const AUDIT_EVENT_TYPES = ['token', 'introspection', 'revocation', 'admin'] as const;
export const ADMIN_ACTIONS = [
  'created',
  'updated',
  'deleted',
  'secret_rotated',
  'assertion_revoked',
  'keys_refreshed',
] as const;

const nullableString = (max: number) => z.string().max(max).nullable().default(null);

export const AuditEventSchema = z
  .object({
    id: z.uuid(),
    type: z.enum(AUDIT_EVENT_TYPES),
    occurred_at: z.iso.datetime({ offset: true }),
    outcome: z.enum(['success', 'failure']),
    /** Stable reason code on failure (`assertion_expired`, `jti_replayed`, ...). */
    reason: nullableString(128),
    /** The OAuth error code answered on failure (`invalid_grant`, ...). */
    error: nullableString(64),
    /** Who acted: `admin-key:<fingerprint>`, `client:<client_id>`, `anonymous`. */
    actor: nullableString(256),
    /** For admin events: what was done. */
    action: z.enum(ADMIN_ACTIONS).nullable().default(null),
    /** The trusted issuer's `iss`. */
    issuer: nullableString(2048),
    client_id: nullableString(256),
    subject: nullableString(1024),
    /** The grant assertion's `kid` (token events) or the changed key's (admin events). */
    kid: nullableString(256),
    /** The client assertion's `kid`. */
    client_kid: nullableString(256),
    jti_hash: z.string().regex(/^[0-9a-f]{64}$/).nullable().default(null),
    scope: nullableString(4096),
    grant_type: nullableString(256),
    request_id: nullableString(128),
    remote_addr: nullableString(64),
    /** Free-form, secret-free details: admin before/after, token `jti` of the issued token. */
    details: z.record(z.string(), z.unknown()).nullable().default(null),
  })
  .strict();

export type AuditEvent = z.infer<typeof AuditEventSchema>;
export type AuditEventInput = z.input<typeof AuditEventSchema>;

/** Validates an audit event; throws a ZodError on a bad payload. */
export function parseAuditEvent(payload: unknown): AuditEvent {
  return AuditEventSchema.parse(payload);
}
