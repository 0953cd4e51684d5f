/**
 * The audit read API of a running worker: credentials, filters, paging, bad parameters,
 * the NDJSON export, the checkpoint keys, and a clean stop on SIGTERM.
 */
import type { AuditEventInput } from '@trust-broker/contracts';
import { eventually } from '@trust-broker/testing';
import { makeEvent } from './fixtures';
import { ADMIN_KEY, WorkerHarness, type RunningWorker } from './worker-harness';

jest.setTimeout(120_000);

const ISSUER_A = 'https://idp-a.example';
const ISSUER_B = 'https://idp-b.example';
const minute = (n: number) => new Date(Date.UTC(2026, 0, 1, 0, n)).toISOString();

function dataset(): AuditEventInput[] {
  const events: AuditEventInput[] = [];
  let n = 0;
  for (let i = 0; i < 10; i++) events.push(makeEvent({ issuer: ISSUER_A, client_id: 'c1', subject: `alice-${i}`, occurred_at: minute(n++) }));
  for (let i = 0; i < 5; i++)
    events.push(makeEvent({ issuer: ISSUER_B, client_id: 'c2', outcome: 'failure', reason: 'assertion_expired', error: 'invalid_grant', occurred_at: minute(n++) }));
  for (let i = 0; i < 5; i++)
    events.push(makeEvent({ type: 'admin', action: 'created', issuer: ISSUER_A, client_id: null, subject: null, actor: 'admin-key:abc123', occurred_at: minute(n++) }));
  for (let i = 0; i < 5; i++) events.push(makeEvent({ type: 'introspection', issuer: null, client_id: 'c1', occurred_at: minute(n++) }));
  for (let i = 0; i < 5; i++) events.push(makeEvent({ type: 'revocation', issuer: null, client_id: 'c3', occurred_at: minute(n++) }));
  // Filler, so that paging and the cap of 100 have something to cut.
  for (let i = 0; i < 100; i++) events.push(makeEvent({ type: 'revocation', issuer: null, client_id: 'filler', occurred_at: minute(100 + i) }));
  return events;
}

describe('audit read API', () => {
  let harness: WorkerHarness;
  let worker: RunningWorker;
  const auth = { authorization: `Bearer ${ADMIN_KEY}` };
  const get = (path: string, headers: Record<string, string> = auth) => fetch(`${worker.url}${path}`, { headers });
  const list = async (query: string) => {
    const response = await get(`/v1/audit/events?${query}`);
    expect(response.status).toBe(200);
    return (await response.json()) as { items: Array<Record<string, unknown> & { seq: number }>; next_cursor: string | null };
  };

  beforeAll(async () => {
    harness = await WorkerHarness.create('readapi');
    worker = await harness.startWorker({ AUDIT_CHECKPOINT_EVERY: '50' });
    await harness.enqueue(dataset());
    await eventually(async () => (await harness.storedCounts()).rows === 130, 60_000, 100);
  });
  afterAll(async () => harness.close());

  it.each([
    ['GET /v1/audit/events', '/v1/audit/events'],
    ['GET /v1/audit/events/export', '/v1/audit/events/export'],
    ['GET /v1/audit/verify', '/v1/audit/verify'],
    ['GET /v1/audit/events/per-minute', '/v1/audit/events/per-minute'],
  ])('%s answers 401 without the admin credential or with a wrong one', async (_, path) => {
    for (const headers of [{} as Record<string, string>, { authorization: 'Bearer wrong-key-0123456789abcdef' }, { authorization: `Basic ${ADMIN_KEY}` }]) {
      const response = await get(path, headers);
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ error: 'unauthorized', error_description: expect.any(String) });
    }
  });

  it.each([
    ['type=admin', 5, (e: Record<string, unknown>) => e.type === 'admin'],
    [`issuer=${encodeURIComponent(ISSUER_B)}`, 5, (e: Record<string, unknown>) => e.issuer === ISSUER_B],
    ['client_id=c1', 15, (e: Record<string, unknown>) => e.client_id === 'c1'],
    ['outcome=failure', 5, (e: Record<string, unknown>) => e.outcome === 'failure' && e.reason === 'assertion_expired'],
    ['subject=alice-3', 1, (e: Record<string, unknown>) => e.subject === 'alice-3'],
    [`since=${minute(10)}&until=${minute(14)}`, 5, (e: Record<string, unknown>) => e.issuer === ISSUER_B],
    ['since=2026-01-01T01:00:00%2B01:00&until=2026-01-01T00:04:59.999Z', 5, (e: Record<string, unknown>) => e.issuer === ISSUER_A],
    [`type=token&outcome=success&issuer=${encodeURIComponent(ISSUER_A)}`, 10, (e: Record<string, unknown>) => String(e.subject).startsWith('alice-')],
    ['type=token&client_id=filler', 0, () => false],
  ])('filters %s: %i events', async (query, count, matches) => {
    const page = await list(`${query}&limit=100`);
    expect(page.items).toHaveLength(count);
    expect(page.items.every(matches)).toBe(true);
    expect(page.next_cursor).toBeNull();
  });

  it('answers every event field (null when absent) plus seq, newest first', async () => {
    const page = await list('type=admin');
    const fields = ['id', 'type', 'occurred_at', 'outcome', 'reason', 'error', 'actor', 'action', 'issuer', 'client_id', 'subject', 'kid', 'client_kid', 'jti_hash', 'scope', 'grant_type', 'request_id', 'remote_addr', 'details', 'seq'];
    for (const item of page.items) {
      expect(Object.keys(item).sort()).toEqual([...fields].sort());
      expect(item).toMatchObject({ type: 'admin', action: 'created', actor: 'admin-key:abc123', subject: null, reason: null, client_kid: null });
    }
    const seqs = page.items.map((item) => item.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
  });

  it('pages through everything with the cursor, newest first, each event once', async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await list(`limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.items.length).toBeLessThanOrEqual(7);
      seen.push(...page.items.map((item) => item.seq));
      cursor = page.next_cursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(Math.ceil(130 / 7));
    expect(seen).toEqual(Array.from({ length: 130 }, (_, i) => 130 - i));
  });

  it('caps limit at 100', async () => {
    const page = await list('limit=1000');
    expect(page.items).toHaveLength(100);
    expect(page.next_cursor).toEqual(expect.any(String));
    const rest = await list(`limit=1000&cursor=${page.next_cursor}`);
    expect(rest.items).toHaveLength(30);
    expect(rest.next_cursor).toBeNull();
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=-1', 'limit'],
    ['limit=ten', 'limit'],
    ['limit=1.5', 'limit'],
    ['type=bogus', 'type'],
    ['outcome=maybe', 'outcome'],
    ['since=yesterday', 'since'],
    ['since=2026-01-01', 'since'],
    ['until=2026-13-01T00:00:00Z', 'until'],
    ['until=2026-02-30T00:00:00Z', 'until'],
    [`since=${minute(5)}&until=${minute(1)}`, 'since'],
    ['cursor=not-a-cursor!', 'cursor'],
    [`cursor=${Buffer.from('seq:abc').toString('base64url')}`, 'cursor'],
    ['type=admin&type=token', 'type'],
    [`issuer=${'x'.repeat(5000)}`, 'issuer'],
  ])('%.60s is 400 invalid_request naming %s', async (query, parameter) => {
    for (const path of ['/v1/audit/events', '/v1/audit/events/export']) {
      const response = await get(`${path}?${query}`);
      expect(response.status).toBe(400);
      const body = (await response.json()) as { error: string; error_description: string };
      expect(body.error).toBe('invalid_request');
      expect(body.error_description).toContain(parameter);
    }
  });

  it('counts events per minute by outcome, with the same filters, minutes without events left out', async () => {
    const window = `since=${minute(0)}&until=${minute(59)}`;
    const response = await get(`/v1/audit/events/per-minute?type=token&${window}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const { items } = (await response.json()) as { items: { minute: string; success: number; failure: number }[] };
    expect(items).toEqual([
      ...Array.from({ length: 10 }, (_, n) => ({ minute: minute(n), success: 1, failure: 0 })),
      ...Array.from({ length: 5 }, (_, n) => ({ minute: minute(10 + n), success: 0, failure: 1 })),
    ]);
    const issuerB = (await (await get(`/v1/audit/events/per-minute?issuer=${encodeURIComponent(ISSUER_B)}&${window}`)).json()) as { items: unknown[] };
    expect(issuerB.items).toHaveLength(5);
    const lastHour = await (await get('/v1/audit/events/per-minute')).json();
    expect(lastHour).toEqual({ items: [] });
  });

  it.each([
    ['since=2026-01-01T00:00:00Z&until=2026-01-02T00:00:01Z', 'since must be at most 24 hours before until'],
    ['since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z', 'since must not be after until'],
    ['since=2026-01-01T00:00:00Z', 'since must be at most 24 hours before until'],
    ['type=nope', 'type must be one of'],
  ])('per-minute refuses %s with 400 naming the parameter', async (query, description) => {
    const response = await get(`/v1/audit/events/per-minute?${query}`);
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: string; error_description: string };
    expect(body.error).toBe('invalid_request');
    expect(body.error_description).toContain(description);
  });

  it('exports NDJSON oldest first, with the same filters', async () => {
    const all = await get('/v1/audit/events/export');
    expect(all.status).toBe(200);
    expect(all.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const lines = (await all.text()).trim().split('\n').map((line) => JSON.parse(line) as { seq: number; type: string });
    expect(lines.map((line) => line.seq)).toEqual(Array.from({ length: 130 }, (_, i) => i + 1));
    const admin = (await (await get('/v1/audit/events/export?type=admin')).text()).trim().split('\n').map((line) => JSON.parse(line));
    expect(admin).toHaveLength(5);
    expect(admin.every((event: { type: string }) => event.type === 'admin')).toBe(true);
    const none = await get('/v1/audit/events/export?client_id=nobody');
    expect(await none.text()).toBe('');
  });

  it('publishes the checkpoint key without credentials, and verify is intact', async () => {
    const response = await fetch(`${worker.url}/v1/audit/keys`);
    expect(response.status).toBe(200);
    const jwks = (await response.json()) as { keys: Array<Record<string, string>> };
    expect(jwks.keys).toEqual([{ kty: 'OKP', crv: 'Ed25519', x: expect.any(String), kid: expect.any(String), alg: 'EdDSA', use: 'sig' }]);
    const { rows } = await harness.pg.query(`SELECT DISTINCT kid FROM audit.checkpoints`);
    expect(rows).toEqual([{ kid: jwks.keys[0]!.kid }]);
    expect(await harness.verify(worker)).toMatchObject({ intact: true, checked: 130, broken_at: null, reason: null });
  });

  it('verifies from the last verified checkpoint by default, the whole chain with full=true, and refuses other values', async () => {
    // The test above walked everything and recorded the newest checkpoint (at least every 50 events).
    const { rows } = await harness.pg.query(`SELECT max(seq)::int AS seq FROM audit.checkpoints`);
    const newest = rows[0].seq as number;
    expect(newest).toBeGreaterThanOrEqual(80);
    const incremental = await get('/v1/audit/verify');
    expect(incremental.status).toBe(200);
    expect(incremental.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await incremental.json()).toEqual({
      intact: true,
      checked: 130,
      broken_at: null,
      reason: null,
      full: false,
      from: newest,
      walked: 130 - newest + 1,
      untrusted_records: 0,
    });
    expect(await (await get('/v1/audit/verify?full=true')).json()).toMatchObject({ intact: true, checked: 130, full: true, from: 1, walked: 130 });
    for (const query of ['full=maybe', 'full=1', 'full=true&full=false']) {
      const response = await get(`/v1/audit/verify?${query}`);
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ error: 'invalid_request', error_description: expect.stringContaining('full') });
    }
  });

  it('answers NDJSON when asked (progress lines, then the same answer as the last line)', async () => {
    const response = await get('/v1/audit/verify?full=true', { ...auth, accept: 'application/x-ndjson' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const lines = (await response.text()).trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.at(-1)).toEqual({ intact: true, checked: 130, broken_at: null, reason: null, full: true, from: 1, walked: 130, untrusted_records: 0 });
    expect(lines.slice(0, -1).every((line) => Object.keys(line).join() === 'progress')).toBe(true);
  });

  it('serves health, readiness and metrics without credentials', async () => {
    expect((await fetch(`${worker.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${worker.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { postgres: 'ok', redis: 'ok', audit_streams: 'ok' } });
    const metrics = await (await fetch(`${worker.url}/metrics`)).text();
    expect(metrics).toMatch(/^audit_events_written_total 130$/m);
  });

  it('stops by itself on SIGTERM', async () => {
    await worker.process.stop(30_000);
    expect(worker.process.child.signalCode === 'SIGKILL').toBe(false);
  });
});
