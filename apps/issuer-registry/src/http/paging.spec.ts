import { toApiError } from '@trust-broker/service-kit/errors';
import { decodeCursor, encodeCursor, PageQuerySchema, toPage } from './paging';
import { RequestError } from './request.errors';

describe('paging', () => {
  it('round-trips a cursor', () => {
    const key = { createdAt: '2026-11-28T10:00:00.123456Z', id: 'client-1' };
    expect(decodeCursor(encodeCursor(key))).toEqual(key);
  });

  it.each([
    ['garbage', 'garbage'],
    ['not JSON', Buffer.from('{').toString('base64url')],
    ['an object', Buffer.from('{"a":1}').toString('base64url')],
    ['a time without microseconds', Buffer.from('["2026-11-28T10:00:00Z","x"]').toString('base64url')],
    ['an empty id', Buffer.from('["2026-11-28T10:00:00.000000Z",""]').toString('base64url')],
    ['a number id', Buffer.from('["2026-11-28T10:00:00.000000Z",1]').toString('base64url')],
  ])('refuses %s as a 400 naming the cursor', (_label, cursor) => {
    let error: unknown;
    try {
      decodeCursor(cursor);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(RequestError);
    expect((error as RequestError).code).toBe('cursor_invalid');
    // The one filter's answer: 400 invalid_request naming the cursor.
    expect(toApiError(error)).toMatchObject({ status: 400, error: 'invalid_request', description: expect.stringMatching(/^cursor: /) });
  });

  it.each([
    ['1', 1],
    ['100', 100],
    ['101', 100],
    ['99999999', 100],
  ])('takes limit=%s as %d', (limit, expected) => {
    expect(PageQuerySchema.parse({ limit }).limit).toBe(expected);
  });

  it.each(['0', '-1', '1.5', 'ten', ''])('refuses limit=%j', (limit) => {
    expect(PageQuerySchema.safeParse({ limit }).success).toBe(false);
  });

  it('offers a next cursor only when a further row exists', () => {
    const rows = [1, 2, 3].map((n) => ({ created_at_key: `2026-11-28T10:00:0${n}.000000Z`, id: `r${n}` }));
    const full = toPage(rows, 2, (r) => r.id, (r) => r.id);
    expect(full.items).toEqual(['r1', 'r2']);
    expect(decodeCursor(full.next_cursor!)).toEqual({ createdAt: '2026-11-28T10:00:02.000000Z', id: 'r2' });
    expect(toPage(rows, 3, (r) => r.id, (r) => r.id).next_cursor).toBeNull();
  });
});
