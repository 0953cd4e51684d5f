import { createHash } from 'node:crypto';
import { GENESIS_HASH, MalformedAuditEventError, canonicalEvent, chainHash, eventFromRow, toChainEvent, type EventRow } from './chain-event';

const valid = {
  id: 'A1B2C3D4-0000-4000-8000-000000000001',
  type: 'token',
  occurred_at: '2026-01-31T13:00:00.123456+01:00',
  outcome: 'failure',
  reason: 'assertion_expired',
  details: { z: 1, a: [true, null, 'é'] },
};

describe('toChainEvent', () => {
  it('fills absent fields with null and normalises id and time to what Postgres gives back', () => {
    const event = toChainEvent(valid);
    expect(event.id).toBe('a1b2c3d4-0000-4000-8000-000000000001');
    expect(event.occurred_at).toBe('2026-01-31T12:00:00.123Z');
    expect(event.issuer).toBeNull();
    expect(event.action).toBeNull();
  });

  it.each([
    ['not an object', 'x'],
    ['no id', { ...valid, id: undefined }],
    ['an unknown type', { ...valid, type: 'login' }],
    ['an unknown field', { ...valid, assertion: 'eyJ...' }],
    ['a time without offset', { ...valid, occurred_at: '2026-01-31T12:00:00' }],
    ['a NUL character', { ...valid, subject: 'a\u0000b' }],
    ['a NUL character inside details', { ...valid, details: { k: 'a\u0000' } }],
    ['a bad jti_hash', { ...valid, jti_hash: 'xyz' }],
    ['details nested too deep', { ...valid, details: JSON.parse('{"a":'.repeat(40) + '1' + '}'.repeat(40)) }],
  ])('refuses %s, naming the field but never its value', (_, payload) => {
    let error: unknown;
    try {
      toChainEvent(payload);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(MalformedAuditEventError);
    expect((error as Error).message).not.toContain('eyJ');
  });
});

it('accepts details nested up to the limit', () => {
  const details = JSON.parse('{"a":'.repeat(31) + '1' + '}'.repeat(31));
  expect(toChainEvent({ ...valid, details }).details).toEqual(details);
});

describe('the chain hash', () => {
  it('is SHA-256 over the previous hash bytes and the RFC 8785 canonical JSON', () => {
    const event = toChainEvent(valid);
    const canonical = canonicalEvent(event);
    expect(canonical.startsWith('{"action":null,"actor":null,"client_id":null,"client_kid":null,"details":{"a":[true,null,"é"],"z":1},')).toBe(true);
    const expected = createHash('sha256').update(Buffer.alloc(32)).update(canonical, 'utf8').digest('hex');
    expect(chainHash(GENESIS_HASH, canonical)).toBe(expected);
    expect(chainHash('ff'.repeat(32), canonical)).not.toBe(expected);
  });

  it('reads back from a row to the same canonical form', () => {
    const event = toChainEvent(valid);
    const row = { ...event, seq: '1', occurred_at: new Date(event.occurred_at), prev_hash: GENESIS_HASH, hash: '' } as EventRow;
    expect(canonicalEvent(eventFromRow(row))).toBe(canonicalEvent(event));
  });
});
