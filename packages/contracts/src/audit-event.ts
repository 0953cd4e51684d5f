import { createHash } from 'node:crypto';
import { z } from 'zod';

/**
 * An audit event: one per token request (success or failure) and per admin change.
 * It names the identifiers involved and never carries an assertion, a token or a
 * secret: the `jti` only as a SHA-256 hash (`jti_hash`, hex).
 *
 * On the audit queue (QUEUES.audit) a job carries events in one of two shapes:
 * - job name `audit` (AUDIT_JOB_NAMES.event): the data is ONE AuditEvent, jobId = its id
 *   (issuer-registry's outbox; token-service when a single event is pending);
 * - job name `audit-batch` (AUDIT_JOB_NAMES.batch): the data is `{ "events": [AuditEvent, ...] }`,
 *   1 to MAX_AUDIT_BATCH_EVENTS events, jobId = auditBatchJobId(ids) (deterministic, so a
 *   retried add of the same batch is not stored twice). token-service group-commits the
 *   events of one event-loop turn into one such job.
 * The consumer validates every event on its own: a malformed one never spoils the valid
 * events beside it. Event ids are unique across both shapes (the consumer is idempotent on them).
 */
export const AUDIT_EVENT_TYPES = ['token', 'introspection', 'revocation', 'admin'] as const;
export const ADMIN_ACTIONS = [
  'created',
  'updated',
  'deleted',
  'secret_rotated',
  'assertion_revoked',
  'keys_refreshed',
  'refresh_tokens_revoked',
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

/** Job names on the audit queue: one event, or a batch of events (see the file header). */
export const AUDIT_JOB_NAMES = { event: 'audit', batch: 'audit-batch' } as const;

/** Most events in one `audit-batch` job (bounds a job's size and the consumer's work per job). */
export const MAX_AUDIT_BATCH_EVENTS = 500;

/** A batch job as a producer sends it: every event valid. */
export const AuditBatchJobSchema = z
  .object({ events: z.array(AuditEventSchema).min(1).max(MAX_AUDIT_BATCH_EVENTS) })
  .strict();

/**
 * A batch job's envelope as the consumer reads it: the events are checked one by one
 * afterwards (AuditEventSchema), so one malformed event does not hide the others.
 */
export const AuditBatchEnvelopeSchema = z
  .object({ events: z.array(z.unknown()).min(1).max(MAX_AUDIT_BATCH_EVENTS) })
  .strict();

export type AuditBatchJob = z.infer<typeof AuditBatchJobSchema>;

/** Validates a batch job (producer side); throws a ZodError on a bad payload. */
export function parseAuditBatchJob(payload: unknown): AuditBatchJob {
  return AuditBatchJobSchema.parse(payload);
}

/**
 * The jobId of a batch: `batch-` + SHA-256 (hex) of its event ids in order, joined by
 * commas. Deterministic (the same batch added twice is one job) and never equal to an
 * event id, so the two job shapes never collide. BullMQ ids may not contain `:`.
 */
export function auditBatchJobId(eventIds: readonly string[]): string {
  return `batch-${createHash('sha256').update(eventIds.join(',')).digest('hex')}`;
}
