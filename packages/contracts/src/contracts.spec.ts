import { randomUUID } from 'node:crypto';
import {
  keyRefreshDedupId,
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
