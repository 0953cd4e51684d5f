/**
 * Remote keys against a local HTTP server playing a partner's IdP (private networks allowed
 * for these tests): rotation, ETag/304, caching bounds, time-outs, size limits, redirects,
 * bad documents, discovery, an IdP that stops answering, unknown-kid jobs and the sweep.
 */
import { DEFAULT_JOB_OPTIONS, keyRefreshDedupId, QUEUES } from '@trust-broker/contracts';
import { eventually, jsonRoute, startLoopbackIdp, TEST_REDIS_URL, type LoopbackIdp } from '@trust-broker/testing';
import { Queue } from 'bullmq';
import { readAuditEvents } from './support/audit-queue-reader';
import { startRegistry, type RegistryHarness } from './support/registry-harness';
import { privateJwk, publicJwk, unusableJwks } from './support/test-keys';
import { listenForTrustChanges, type TrustChangeListener } from './support/trust-change-listener';

let registry: RegistryHarness;
let idp: LoopbackIdp;
let changes: TrustChangeListener;
let refreshQueue: Queue;

beforeAll(async () => {
  idp = await startLoopbackIdp();
  registry = await startRegistry('jwks', { JWKS_FETCH_TIMEOUT_MS: '1500', KEY_REFRESH_SWEEP_INTERVAL_S: '1' });
  changes = await listenForTrustChanges(registry.redis.prefix);
  refreshQueue = new Queue(QUEUES.keyRefresh, { connection: { url: TEST_REDIS_URL }, prefix: registry.redis.prefix });
});

afterAll(async () => {
  await refreshQueue?.close();
  await changes?.close();
  await registry?.close();
  await idp?.close();
});

let counter = 0;
/** Registers an issuer whose jwks_uri is `path` on the fake IdP; returns its id once the first fetch is done. */
async function issuerWithJwksUri(path: string): Promise<string> {
  const res = await registry.call('POST', '/v1/issuers', { issuer: `https://partner-${++counter}.example.com`, subjects: ['*'], jwks_uri: `${idp.url}${path}` });
  expect(res.status).toBe(201);
  await eventually(async () => {
    const [row] = await registry.sql<{ last_attempt_at: Date | null }>(`SELECT last_attempt_at FROM registry.party_keys WHERE party_id = $1`, [res.body.id]);
    return row?.last_attempt_at !== null;
  }, 10000);
  return res.body.id;
}

const status = async (id: string) => (await registry.call('GET', `/v1/issuers/${id}/jwks`)).body;
const refresh = async (id: string) => registry.call('POST', `/v1/issuers/${id}/jwks/refresh`);

/** Registers a discovery issuer and waits for the key status that holds its first keys. */
async function firstDiscoveredKeys(issuer: string) {
  const res = await registry.call('POST', '/v1/issuers', { issuer, subjects: ['*'], discovery: true });
  expect(res.status).toBe(201);
  return eventually(async () => {
    const body = await status(res.body.id);
    return body.keys.length > 0 ? body : undefined;
  }, 10000);
}

describe('fetched keys', () => {
  it('fetches on registration, follows key rotation and publishes issuer_keys', async () => {
    const k1 = await publicJwk('rot-1');
    const k2 = await publicJwk('rot-2', 'RS256');
    idp.route('/rot/jwks', jsonRoute({ keys: [k1] }, { 'cache-control': 'public, max-age=600' }));
    const id = await issuerWithJwksUri('/rot/jwks');
    const first = await status(id);
    expect(first).toMatchObject({ source: 'jwks_uri', jwks_uri: `${idp.url}/rot/jwks`, last_error: null, keys: [{ kid: 'rot-1' }] });
    const fetchedAt = Date.parse(first.fetched_at);
    expect(Date.parse(first.next_refresh_at) - fetchedAt).toBeGreaterThanOrEqual(599_000);
    expect(Date.parse(first.next_refresh_at) - fetchedAt).toBeLessThanOrEqual(601_000);
    await eventually(async () => changes.messages.some((m) => m.entity === 'issuer_keys' && m.id === id && m.version === first.version));

    idp.route('/rot/jwks', jsonRoute({ keys: [k1, k2] }));
    const rotated = await refresh(id);
    expect(rotated.status).toBe(200);
    expect(rotated.body.keys.map((k: { kid: string }) => k.kid)).toEqual(['rot-1', 'rot-2']);
    expect(rotated.body.version).toBe(first.version + 1);
    await eventually(async () => changes.messages.some((m) => m.entity === 'issuer_keys' && m.id === id && m.version === first.version + 1));
    const audit = await eventually(async () => (await readAuditEvents(registry.redis.prefix)).find((a) => a.event.action === 'keys_refreshed' && (a.event.details as { after: { version: number } }).after.version === first.version + 1));
    expect(audit.event.actor).toMatch(/^admin-key:/);
    expect(audit.event.details).toMatchObject({ reason: 'forced', before: { kids: ['rot-1'] }, after: { kids: ['rot-1', 'rot-2'] } });
  });

  it('sends the ETag back and keeps the keys on 304', async () => {
    const key = await publicJwk('etag-1');
    idp.route('/etag/jwks', (req, res) => {
      if (req.headers['if-none-match'] === '"v1"') res.writeHead(304, { etag: '"v1"', 'cache-control': 'max-age=120' }).end();
      else res.writeHead(200, { etag: '"v1"', 'content-type': 'application/json' }).end(JSON.stringify({ keys: [key] }));
    });
    const id = await issuerWithJwksUri('/etag/jwks');
    const before = await status(id);
    expect(before.keys).toHaveLength(1);
    const after = (await refresh(id)).body;
    expect(idp.requests('/etag/jwks').at(-1)!.headers['if-none-match']).toBe('"v1"');
    expect(after).toMatchObject({ keys: [{ kid: 'etag-1' }], version: before.version, last_error: null });
    expect(Date.parse(after.fetched_at)).toBeGreaterThanOrEqual(Date.parse(before.fetched_at));
    expect(Date.parse(after.next_refresh_at) - Date.parse(after.fetched_at)).toBe(120_000);
  });

  it.each([
    ['max-age=5 (raised to 60 s)', 'max-age=5', 60_000],
    ['max-age=9999999 (lowered to 24 h)', 'max-age=9999999', 86_400_000],
    ['no-store (raised to 60 s)', 'no-store', 60_000],
    ['no Cache-Control (the default, 1 h)', '', 3_600_000],
  ])('clamps the refresh interval: %s', async (_label, cacheControl, expected) => {
    const path = `/cache-${counter}/jwks`;
    const key = await publicJwk('c');
    idp.route(path, jsonRoute({ keys: [key] }, cacheControl ? { 'cache-control': cacheControl } : {}));
    const id = await issuerWithJwksUri(path);
    const current = await status(id);
    expect(Date.parse(current.next_refresh_at) - Date.parse(current.fetched_at)).toBe(expected);
  });
});

describe('key sets as partners publish them', () => {
  it.each([
    ['application/jwk-set+json'],
    ['application/json; charset=utf-8'],
  ])('holds the usable keys of a mixed set served as %s, and lists the others under ignored', async (contentType) => {
    const path = `/mixed-${++counter}/jwks`;
    const { members, kids } = unusableJwks();
    const sig = await publicJwk('sig-1', 'RS256');
    const noAlg = { ...(await publicJwk('no-alg')), alg: undefined, x5t: 'aGVsbG8', 'x5t#S256': 'd29ybGQ', x5c: ['MIIBIjAN'], issuer: 'https://login.microsoftonline.com/t/v2.0' };
    idp.route(path, jsonRoute({ keys: [sig, ...members, noAlg] }, { 'content-type': contentType }));
    const id = await issuerWithJwksUri(path);
    const current = await status(id);
    expect(current.last_error).toBeNull();
    expect(current.keys.map((key: { kid: string }) => key.kid)).toEqual(['sig-1', 'no-alg']);
    expect(current.ignored.map((entry: { kid: string }) => entry.kid)).toEqual(kids);
    expect(current.ignored[0]).toEqual({ kid: 'enc-oaep', reason: 'use: must be "sig"' });
    const [row] = await registry.sql<{ keys: { keys: { kid: string }[] } }>(`SELECT keys FROM registry.party_keys WHERE party_id = $1`, [id]);
    expect(row!.keys.keys.map((key) => key.kid)).toEqual(['sig-1', 'no-alg']);
  });
});

describe('failed fetches keep the last good keys and say why', () => {
  let id: string;
  let goodKey: Record<string, unknown>;
  const path = '/flaky/jwks';

  beforeAll(async () => {
    goodKey = (await publicJwk('good')) as Record<string, unknown>;
    idp.route(path, jsonRoute({ keys: [goodKey] }));
    id = await issuerWithJwksUri(path);
    expect((await status(id)).keys).toHaveLength(1);
  });

  it.each([
    ['an HTTP error', (_req: unknown, res: import('node:http').ServerResponse) => res.writeHead(404).end('gone'), /^HTTP 404$/],
    ['a server error', (_req: unknown, res: import('node:http').ServerResponse) => res.writeHead(503).end(), /^HTTP 503$/],
    ['a slow server', (_req: unknown, res: import('node:http').ServerResponse) => void setTimeout(() => res.writeHead(200).end('{"keys":[]}'), 4000), /^timeout after 1500 ms$/],
    ['a body that trickles past the deadline', (_req: unknown, res: import('node:http').ServerResponse) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"keys": [');
      setTimeout(() => res.end(']}'), 4000);
    }, /^timeout after 1500 ms$/],
    ['an oversized body (Content-Length)', (_req: unknown, res: import('node:http').ServerResponse) => {
      const body = JSON.stringify({ keys: [], padding: 'x'.repeat(300_000) });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }).end(body);
    }, /^body exceeds 262144 bytes$/],
    ['an oversized body (chunked, streamed)', (_req: unknown, res: import('node:http').ServerResponse) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      for (let i = 0; i < 40; i++) res.write('x'.repeat(10_000));
      res.end();
    }, /^body exceeds 262144 bytes$/],
    ['a body that is not JSON', (_req: unknown, res: import('node:http').ServerResponse) => res.writeHead(200).end('<html>'), /^the body is not valid JSON$/],
    ['a JSON without keys', (_req: unknown, res: import('node:http').ServerResponse) => res.writeHead(200).end('{"keyz": []}'), /^invalid JWKS: keys: must be an array$/],
    ['a key with private members', 'PRIVATE', /^invalid JWKS: keys\[0\]\.d: private key material/],
    ['only keys it cannot use (enc, weak, off-curve ...)', 'UNUSABLE', /^invalid JWKS: keys: no usable signing key \(enc-oaep: use: must be "sig"; rsa-1024: .*off-curve: x: the point is not on the curve\)$/],
    ['more than 100 keys', 'MANY', /^JWKS holds 101 keys \(at most 100\)$/],
    ['a closed connection', (req: import('node:http').IncomingMessage) => req.socket.destroy(), /^network error/],
  ])('%s', async (_label, behaviour, expectedError) => {
    if (behaviour === 'PRIVATE') idp.route(path, jsonRoute({ keys: [await privateJwk('leak')] }));
    else if (behaviour === 'UNUSABLE') idp.route(path, jsonRoute({ keys: unusableJwks().members }));
    else if (behaviour === 'MANY') idp.route(path, jsonRoute({ keys: Array.from({ length: 101 }, (_, i) => ({ ...goodKey, kid: `k${i}` })) }));
    else idp.route(path, behaviour as never);
    const before = await status(id);
    const res = await refresh(id);
    expect(res.status).toBe(200);
    expect(res.body.last_error).toMatch(expectedError);
    expect(res.body.keys).toEqual([goodKey]);
    expect(res.body.ignored).toEqual([]);
    expect(res.body.version).toBe(before.version);
    expect(res.body.fetched_at).toBe(before.fetched_at);
    expect(Date.parse(res.body.next_refresh_at) - Date.now()).toBeGreaterThan(50_000);
    expect((await status(id)).last_error).toBe(res.body.last_error);
  });

  it('records a failed forced refresh as a failed admin event', async () => {
    const event = await eventually(async () =>
      (await readAuditEvents(registry.redis.prefix)).find((a) => a.event.action === 'keys_refreshed' && a.event.outcome === 'failure' && (a.event.details as { last_error: string }).last_error === 'HTTP 404'),
    );
    expect(event.event.reason).toBe('key_fetch_failed');
  });

  it('clears the error once the IdP answers again', async () => {
    idp.route(path, jsonRoute({ keys: [goodKey] }));
    const res = await refresh(id);
    expect(res.body.last_error).toBeNull();
    expect(res.body.keys).toEqual([goodKey]);
  });

  it('drops keys older than KEYS_MAX_STALE_S when the IdP stays down (fail closed)', async () => {
    idp.route(path, (_req, res) => res.writeHead(500).end());
    await registry.sql(`UPDATE registry.party_keys SET fetched_at = now() - interval '2 days' WHERE party_id = $1`, [id]);
    const before = await status(id);
    const res = await refresh(id);
    expect(res.body).toMatchObject({ keys: [], last_error: 'HTTP 500', version: before.version + 1 });
    await eventually(async () => changes.messages.some((m) => m.entity === 'issuer_keys' && m.id === id && m.version === before.version + 1));
  });
});

describe('an IdP that is gone', () => {
  it('keeps the last good keys when the IdP stops listening', async () => {
    const gone = await startLoopbackIdp();
    gone.route('/jwks', jsonRoute({ keys: [await publicJwk('last-good')] }));
    const created = await registry.call('POST', '/v1/issuers', { issuer: 'https://gone.example.com', subjects: ['*'], jwks_uri: `${gone.url}/jwks` });
    await eventually(async () => (await status(created.body.id)).keys.length === 1, 10000);
    await gone.close();
    const res = await refresh(created.body.id);
    expect(res.body).toMatchObject({ keys: [{ kid: 'last-good' }], last_error: 'network error (ECONNREFUSED)' });
    expect(res.body.last_error_at).not.toBeNull();
  });
});

describe('redirects', () => {
  function chain(prefix: string, hops: number, key: Record<string, unknown>): string {
    for (let i = 0; i < hops; i++) {
      idp.route(`${prefix}/${i}`, (_req, res) => res.writeHead(i % 2 === 0 ? 302 : 307, { location: i === hops - 1 ? `${prefix}/end` : `${idp.url}${prefix}/${i + 1}` }).end());
    }
    idp.route(`${prefix}/end`, jsonRoute({ keys: [key] }));
    return `${prefix}/0`;
  }

  it('follows three redirects (relative and absolute)', async () => {
    const id = await issuerWithJwksUri(chain('/r3', 3, (await publicJwk('r3')) as Record<string, unknown>));
    expect(await status(id)).toMatchObject({ last_error: null, keys: [{ kid: 'r3' }] });
    expect(idp.hits('/r3/end')).toBeGreaterThan(0);
  });

  it('refuses a fourth', async () => {
    const id = await issuerWithJwksUri(chain('/r4', 4, (await publicJwk('r4')) as Record<string, unknown>));
    expect(await status(id)).toMatchObject({ last_error: 'too many redirects (more than 3)', keys: [] });
    expect(idp.hits('/r4/end')).toBe(0);
  });

  it('refuses a redirect to another scheme', async () => {
    idp.route('/to-ftp', (_req, res) => res.writeHead(301, { location: 'ftp://127.0.0.1/jwks' }).end());
    const id = await issuerWithJwksUri('/to-ftp');
    expect((await status(id)).last_error).toBe('scheme ftp is not allowed (https only)');
  });
});

describe('discovery', () => {
  it('finds jwks_uri in oauth-authorization-server metadata after openid-configuration fails', async () => {
    const issuer = `${idp.url}/tenant-a`;
    idp.route('/tenant-a/.well-known/oauth-authorization-server', jsonRoute({ issuer, jwks_uri: `${idp.url}/tenant-a/keys` }));
    idp.route('/tenant-a/keys', jsonRoute({ keys: [await publicJwk('disc')] }));
    const current = await firstDiscoveredKeys(issuer);
    expect(current).toMatchObject({ source: 'discovery', jwks_uri: `${idp.url}/tenant-a/keys`, last_error: null });
    expect(idp.hits('/tenant-a/.well-known/openid-configuration')).toBeGreaterThan(0);
  });

  it('finds jwks_uri in RFC 8414 metadata at the well-known URI inserted before the issuer path (Okta /oauth2/default)', async () => {
    const issuer = `${idp.url}/oauth2/default`;
    idp.route('/.well-known/oauth-authorization-server/oauth2/default', jsonRoute({ issuer, jwks_uri: `${idp.url}/oauth2/default/v1/keys` }));
    idp.route('/oauth2/default/v1/keys', jsonRoute({ keys: [await publicJwk('okta-like')] }));
    const current = await firstDiscoveredKeys(issuer);
    expect(current).toMatchObject({ source: 'discovery', jwks_uri: `${idp.url}/oauth2/default/v1/keys`, last_error: null, keys: [{ kid: 'okta-like' }] });
    expect(idp.hits('/oauth2/default/.well-known/oauth-authorization-server')).toBe(0);
  });

  it('refuses metadata that names another issuer', async () => {
    const issuer = `${idp.url}/tenant-b`;
    idp.route('/tenant-b/.well-known/openid-configuration', jsonRoute({ issuer: 'https://evil.example.com', jwks_uri: `${idp.url}/tenant-b/keys` }));
    idp.route('/tenant-b/keys', jsonRoute({ keys: [await publicJwk('evil')] }));
    const res = await registry.call('POST', '/v1/issuers', { issuer, subjects: ['*'], discovery: true });
    const current = (await refresh(res.body.id)).body;
    expect(current.keys).toEqual([]);
    expect(current.last_error).toMatch(/^discovery failed \(.*names another issuer/);
    expect(idp.hits('/tenant-b/keys')).toBe(0);
  });
});

describe('key-refresh jobs', () => {
  it('fetches once for an unknown kid, then rate-limits the party for 10 s', async () => {
    const path = '/unknown-kid/jwks';
    idp.route(path, jsonRoute({ keys: [await publicJwk('old')] }));
    const id = await issuerWithJwksUri(path);
    const before = await status(id);
    const hits = idp.hits(path);
    idp.route(path, jsonRoute({ keys: [await publicJwk('old'), await publicJwk('new')] }));

    const enqueue = (kid: string) =>
      refreshQueue.add('refresh', { party: 'issuer', id, reason: 'unknown_kid', kid, requested_at: new Date().toISOString() }, { ...DEFAULT_JOB_OPTIONS, deduplication: { id: keyRefreshDedupId('issuer', id) } });
    const job = await enqueue('new');
    await eventually(async () => changes.messages.some((m) => m.entity === 'issuer_keys' && m.id === id && m.version === before.version + 1), 5000);
    await eventually(async () => (await job.isCompleted()) && job);
    expect(idp.hits(path)).toBe(hits + 1);

    const second = await enqueue('another-new');
    await eventually(async () => await second.isCompleted(), 5000);
    expect((await refreshQueue.getJob(second.id!))!.returnvalue).toBe('rate_limited');
    expect(idp.hits(path)).toBe(hits + 1);
  });

  it('counts fetches by outcome at /metrics', async () => {
    const metrics = await (await fetch(`${registry.url}/metrics`)).text();
    expect(metrics).toMatch(/issuer_registry_key_fetches_total\{party="issuer",outcome="changed"\} [1-9]/);
    expect(metrics).toMatch(/issuer_registry_key_fetches_total\{party="issuer",outcome="failed"\} [1-9]/);
    expect(metrics).toMatch(/issuer_registry_outbox_deliveries_total\{kind="trust_change",result="delivered"\} [1-9]/);
  });

  it('fails a malformed job for good', async () => {
    const job = await refreshQueue.add('refresh', { party: 'user', id: 'x' }, { attempts: 5 });
    await eventually(async () => (await job.isFailed()) && true, 5000);
    const failed = (await refreshQueue.getJob(job.id!))!;
    expect(failed.failedReason).toBe('malformed key-refresh job');
    expect(failed.attemptsMade).toBe(1);
  });

  it('refreshes parties that are due, through the scheduled sweep', async () => {
    const path = '/sweep/jwks';
    idp.route(path, jsonRoute({ keys: [await publicJwk('s')] }));
    const id = await issuerWithJwksUri(path);
    const hits = idp.hits(path);
    await registry.sql(`UPDATE registry.party_keys SET next_refresh_at = now() - interval '1 second' WHERE party_id = $1`, [id]);
    await eventually(async () => idp.hits(path) > hits, 10000);
    expect(await refreshQueue.getJobScheduler('key-refresh-sweep')).toBeTruthy();
  });
});
