import { randomUUID } from 'node:crypto';
import {
  AUDIT_JOB_NAMES,
  AUDIT_STREAM_SHARDS,
  auditDeadLetterKey,
  auditStreamKey,
  auditStreamKeys,
  AuditBatchEnvelopeSchema,
  auditBatchJobId,
  keyRefreshDedupId,
  MAX_AUDIT_BATCH_EVENTS,
  parseAuditBatchJob,
  parseAuditEvent,
  parseKeyRefreshJob,
  parseTrustChange,
  prefixed,
  QUEUES,
  TRUST_CHANGE_CHANNEL,
} from './index';

const now = new Date().toISOString();
const baseEvent = { id: randomUUID(), type: 'token', occurred_at: now, outcome: 'success' };

describe('audit events', () => {
  it('fills absent identifiers with null', () => {
    const event = parseAuditEvent(baseEvent);
    expect(event.issuer).toBeNull();
    expect(event.jti_hash).toBeNull();
    expect(event.details).toBeNull();
  });

  it.each([
    ['a non-uuid id', { id: 'x' }],
    ['an unknown type', { type: 'login' }],
    ['an unknown outcome', { outcome: 'maybe' }],
    ['a time without offset', { occurred_at: '2026-01-01T00:00:00' }],
    ['a raw jti instead of its hash', { jti_hash: 'not-a-hash' }],
    ['an unknown field (e.g. the assertion itself)', { assertion: 'eyJ...' }],
    ['an unknown admin action', { type: 'admin', action: 'hacked' }],
  ])('rejects %s', (_label, patch) => {
    expect(() => parseAuditEvent({ ...baseEvent, ...patch })).toThrow();
  });

  it('accepts an admin event with its action', () => {
    expect(parseAuditEvent({ ...baseEvent, type: 'admin', action: 'created', client_id: 'c1' }).action).toBe('created');
  });
});

describe('audit batch jobs', () => {
  const event = (patch: Record<string, unknown> = {}) => ({ ...baseEvent, id: randomUUID(), ...patch });

  it('names the two job shapes', () => {
    expect(AUDIT_JOB_NAMES).toEqual({ event: 'audit', batch: 'audit-batch' });
  });

  it('accepts 1 and MAX_AUDIT_BATCH_EVENTS events, each filled like a single event', () => {
    expect(parseAuditBatchJob({ events: [event()] }).events[0]!.issuer).toBeNull();
    const full = Array.from({ length: MAX_AUDIT_BATCH_EVENTS }, () => event());
    expect(parseAuditBatchJob({ events: full }).events).toHaveLength(MAX_AUDIT_BATCH_EVENTS);
  });

  it.each([
    ['no events', { events: [] }],
    ['one event too many', { events: Array.from({ length: MAX_AUDIT_BATCH_EVENTS + 1 }, () => event()) }],
    ['events not an array', { events: event() }],
    ['a bare event instead of the envelope', event()],
    ['an unknown field beside events', { events: [event()], token: 'eyJ...' }],
    ['one malformed event among valid ones', { events: [event(), event({ assertion: 'eyJ...' })] }],
  ])('a producer may not send %s', (_label, payload) => {
    expect(() => parseAuditBatchJob(payload)).toThrow();
  });

  it('lets the consumer read the envelope of a batch holding a malformed event, bounds kept', () => {
    expect(AuditBatchEnvelopeSchema.safeParse({ events: [event(), { id: 'x' }] }).success).toBe(true);
    expect(AuditBatchEnvelopeSchema.safeParse({ events: [] }).success).toBe(false);
    expect(AuditBatchEnvelopeSchema.safeParse({ events: Array(MAX_AUDIT_BATCH_EVENTS + 1).fill({}) }).success).toBe(false);
    expect(AuditBatchEnvelopeSchema.safeParse({ events: [event()], extra: 1 }).success).toBe(false);
  });

  it('derives a deterministic batch job id from the ids in order, never an event id and without a colon', () => {
    const ids = [randomUUID(), randomUUID()];
    const id = auditBatchJobId(ids);
    expect(id).toMatch(/^batch-[0-9a-f]{64}$/);
    expect(auditBatchJobId([...ids])).toBe(id);
    expect(auditBatchJobId([ids[1]!, ids[0]!])).not.toBe(id);
    expect(auditBatchJobId([ids[0]!])).not.toBe(id);
    expect(auditBatchJobId([ids[0]!])).not.toBe(ids[0]);
  });
});

describe('trust changes and key refresh jobs', () => {
  it('parses a trust change and rejects an unknown entity', () => {
    expect(parseTrustChange({ entity: 'issuer', id: 'a', version: 2, op: 'upsert', occurred_at: now }).version).toBe(2);
    expect(() => parseTrustChange({ entity: 'user', id: 'a', version: 2, op: 'upsert', occurred_at: now })).toThrow();
    expect(() => parseTrustChange({ entity: 'issuer', id: '', version: 2, op: 'upsert', occurred_at: now })).toThrow();
    expect(() => parseTrustChange({ entity: 'issuer', id: 'a', version: -1, op: 'upsert', occurred_at: now })).toThrow();
  });

  it('parses a key refresh job and names one dedup id per party', () => {
    const job = parseKeyRefreshJob({ party: 'issuer', id: 'i1', reason: 'unknown_kid', kid: 'k9', requested_at: now });
    expect(job.kid).toBe('k9');
    expect(keyRefreshDedupId('issuer', 'i1')).toBe('issuer:i1');
    expect(keyRefreshDedupId('client', 'i1')).not.toBe(keyRefreshDedupId('issuer', 'i1'));
    expect(() => parseKeyRefreshJob({ party: 'user', id: 'i1', reason: 'forced', requested_at: now })).toThrow();
  });

  it('prefixes names per deployment', () => {
    expect(prefixed('tb', TRUST_CHANGE_CHANNEL)).toBe('tb:trust-changes');
    expect(QUEUES.audit).toBe('audit-events');
  });
});

describe('audit streams', () => {
  it('names one shard per replay bucket, in that bucket\'s hash slot', () => {
    const keys = auditStreamKeys('tb');
    expect(keys).toHaveLength(AUDIT_STREAM_SHARDS);
    expect(new Set(keys).size).toBe(AUDIT_STREAM_SHARDS);
    expect(auditStreamKey('tb', 3)).toBe('tb:{replay:3}:audit-events');
    // The hash tag is the replay bucket's (`<prefix>:{replay:<n>}:jti:...`): one slot for both.
    keys.forEach((key, shard) => expect(/\{([^}]*)\}/.exec(key)?.[1]).toBe(`replay:${shard}`));
    expect(auditDeadLetterKey('tb')).not.toMatch(/\{/);
  });
});
