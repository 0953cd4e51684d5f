import { ApiError, createApi, fieldOf, withQuery } from './api';

describe('fieldOf', () => {
  it.each([
    ['jwks_uri: must be an absolute http(s) URL', 'jwks_uri'],
    ['subjects[0]: must not be empty', 'subjects'],
    ['claim_mappings.email: Syntax error: unexpected end', 'claim_mappings'],
    ['other, more: unknown field', 'other'],
    ['since must be an RFC 3339 time, e.g. 2026-01-31T12:00:00Z', 'since'],
    ['type must be one of token, introspection, revocation, admin', 'type'],
    ['the issuer is already registered', null],
    ['HTTP 500', null],
  ])('%s names %s', (description, field) => {
    expect(fieldOf(description)).toBe(field);
  });
});

describe('createApi', () => {
  it('sends the key as bearer credential, no cookies, and JSON bodies', async () => {
    const seen: RequestInit[] = [];
    const api = createApi('the-key', () => undefined, async (_url, init) => {
      seen.push(init!);
      return new Response(JSON.stringify({ ok: true }), { status: 201 });
    });
    expect(await api.post('/v1/issuers', { issuer: 'x' })).toEqual({ ok: true });
    const headers = seen[0]!.headers as Record<string, string>;
    expect(headers.authorization).toBe('Bearer the-key');
    expect(headers['content-type']).toBe('application/json');
    expect(seen[0]!.credentials).toBe('omit');
    expect(seen[0]!.body).toBe('{"issuer":"x"}');
  });

  it('turns an error answer into an ApiError, and a 401 signs out', async () => {
    let signedOut = 0;
    const answer = (status: number, body: unknown) => async () => new Response(JSON.stringify(body), { status });
    const refused = createApi('k', () => signedOut++, answer(401, { error: 'unauthorized', error_description: 'wrong key' }));
    await expect(refused.get('/v1/issuers')).rejects.toMatchObject({ status: 401, code: 'unauthorized' });
    expect(signedOut).toBe(1);
    const bad = createApi('k', () => signedOut++, answer(400, { error: 'invalid_request', error_description: 'jwks: give exactly one key source' }));
    const error = await bad.post('/v1/issuers', {}).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).field).toBe('jwks');
    expect(signedOut).toBe(1);
    const down = createApi('k', () => undefined, async () => {
      throw new TypeError('fetch failed');
    });
    await expect(down.get('/v1/issuers')).rejects.toMatchObject({ status: 0, code: 'network_error' });
  });

  it('leaves empty filters out of the query', () => {
    expect(withQuery('/v1/audit/events', { type: 'token', outcome: '', issuer: undefined, limit: 50, cursor: null })).toBe('/v1/audit/events?type=token&limit=50');
  });
});
