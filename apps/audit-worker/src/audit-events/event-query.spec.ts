import { ApiError } from '@trust-broker/service-kit/errors';
import { decodeCursor, encodeCursor, parseEventQuery, parseRfc3339 } from './event-query';

describe('parseRfc3339', () => {
  it.each([
    ['2026-01-31T12:00:00Z', '2026-01-31T12:00:00.000Z'],
    ['2026-01-31T13:00:00.5+01:00', '2026-01-31T12:00:00.500Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
  ])('%s is %s', (value, iso) => {
    expect(parseRfc3339(value)?.toISOString()).toBe(iso);
  });

  it.each(['2026-01-31', '2026-01-31T12:00:00', '2025-02-29T00:00:00Z', '2026-04-31T00:00:00Z', '2026-00-10T00:00:00Z', '2026-01-01T24:00:00Z', 'now', ''])(
    '%j is refused',
    (value) => {
      expect(parseRfc3339(value)).toBeUndefined();
    },
  );
});

describe('cursor', () => {
  it('round-trips a seq and refuses anything else', () => {
    expect(decodeCursor(encodeCursor(12345))).toBe(12345);
    expect(decodeCursor('garbage!')).toBeUndefined();
    expect(decodeCursor(Buffer.from('seq:-1').toString('base64url'))).toBeUndefined();
    expect(decodeCursor(Buffer.from('id:1').toString('base64url'))).toBeUndefined();
  });
});

describe('parseEventQuery', () => {
  it('defaults to 50, caps at 100, ignores empty parameters', () => {
    expect(parseEventQuery({})).toEqual({ filters: {}, limit: 50, after: undefined });
    expect(parseEventQuery({ limit: '500', type: '' }).limit).toBe(100);
    expect(parseEventQuery({ limit: '1' }).limit).toBe(1);
  });

  it('keeps the filters', () => {
    const query = parseEventQuery({ type: 'admin', outcome: 'success', issuer: 'https://i', client_id: 'c', subject: 's', since: '2026-01-01T00:00:00Z', cursor: encodeCursor(9) });
    expect(query.filters).toEqual({ type: 'admin', outcome: 'success', issuer: 'https://i', client_id: 'c', subject: 's', since: new Date('2026-01-01T00:00:00Z') });
    expect(query.after).toBe(9);
  });

  it.each([
    [{ limit: '0' }, 'limit'],
    [{ limit: '2e3' }, 'limit'],
    [{ type: 'other' }, 'type'],
    [{ outcome: 'ok' }, 'outcome'],
    [{ until: 'tomorrow' }, 'until'],
    [{ subject: ['a', 'b'] }, 'subject'],
    [{ cursor: 'x' }, 'cursor'],
  ])('%j is invalid_request naming %s', (query, parameter) => {
    let error: unknown;
    try {
      parseEventQuery(query);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 400, error: 'invalid_request' });
    expect((error as ApiError).description).toContain(parameter);
  });
});
