/**
 * The audit transport: Redis streams read by one consumer group (audit-worker). Every
 * producer (token-service, issuer-registry's outbox relay) appends with XADD; the entry's
 * one field AUDIT_STREAM_FIELD holds a JSON array of 1..MAX_AUDIT_BATCH_EVENTS AuditEvents.
 * Enforces:
 * - AUDIT_STREAM_SHARDS shards, `<prefix>:{replay:<n>}:audit-events`: shard n shares the
 *   hash tag of replay bucket n (token-service replay-keys.ts), so on a Redis Cluster the
 *   grant's one script (its `jti` marks and its audit event) touches one slot;
 * - the consumer validates every event on its own (a malformed one never spoils the
 *   valid ones beside it; the entry then goes to the dead-letter stream) and is
 *   idempotent on event ids, so a redelivered entry is never stored twice;
 * - an entry is acknowledged (XACK, then XDEL) only after its events are committed.
 */
export const AUDIT_STREAM_SHARDS = 16;

/** The consumer group of audit-worker on every shard. */
export const AUDIT_STREAM_GROUP = 'audit-worker';

/** The entry field holding the JSON array of events. */
export const AUDIT_STREAM_FIELD = 'events';

/** Shard `n` of the audit stream under a deployment's prefix (one Redis or a cluster alike). */
export function auditStreamKey(prefix: string, shard: number): string {
  return `${prefix}:{replay:${shard}}:audit-events`;
}

/** Every shard's key, in shard order. */
export function auditStreamKeys(prefix: string): string[] {
  return Array.from({ length: AUDIT_STREAM_SHARDS }, (_, shard) => auditStreamKey(prefix, shard));
}

/**
 * Entries the consumer could not store (malformed, or refused by Postgres for their
 * content): fields `stream`, `id` (the original entry), `reason`, and the entry's own field.
 */
export function auditDeadLetterKey(prefix: string): string {
  return `${prefix}:audit-events:dead-letter`;
}
