/**
 * /v1/issuers against the real Postgres and Redis: the happy path, every failure path,
 * paging, and the outbox's trust changes and audit events.
 */
import { eventually } from '@trust-broker/testing';
import { CONTRACT_ISSUER_DEFAULTS } from '@trust-broker/testing/issuer-defaults';
import { readAuditEvents } from './support/audit-queue-reader';
import { startRegistry, type RegistryHarness } from './support/registry-harness';
import { privateJwk, publicJwk, unusableJwks } from './support/test-keys';
import { listenForTrustChanges, type TrustChangeListener } from './support/trust-change-listener';

let registry: RegistryHarness;
let changes: TrustChangeListener;
let jwks: { keys: unknown[] };

beforeAll(async () => {
  registry = await startRegistry('issuers');
  changes = await listenForTrustChanges(registry.redis.prefix);
  jwks = { keys: [await publicJwk('k1'), await publicJwk('k2', 'RS256')] };
});

afterAll(async () => {
  await changes?.close();
  await registry?.close();
});

const newIssuer = (suffix: string, extra: Record<string, unknown> = {}) => ({
  issuer: `https://idp-${suffix}.example.com`,
  subjects: ['*'],
  jwks,
  ...extra,
});

describe('POST /v1/issuers', () => {
  it('creates an issuer with defaults, every field present', async () => {
    const res = await registry.call('POST', '/v1/issuers', newIssuer('a'));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      ...CONTRACT_ISSUER_DEFAULTS,
      issuer: 'https://idp-a.example.com',
      display_name: 'https://idp-a.example.com',
      jwks_uri: null,
      subjects: ['*'],
      version: 1,
    });
    expect(res.body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body.jwks.keys.map((k: { kid: string }) => k.kid)).toEqual(['k1', 'k2']);
    expect(new Date(res.body.created_at).toISOString()).toBe(res.body.created_at);

    const status = await registry.call('GET', `/v1/issuers/${res.body.id}/jwks`);
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ source: 'inline', jwks_uri: null, next_refresh_at: null, last_error: null, ignored: [] });
    expect(status.body.keys).toHaveLength(2);

    const [row] = await registry.sql<{ keys: { keys: unknown[] }; source: string; version: number }>(
      `SELECT keys, source, version FROM registry.party_keys WHERE party_type = 'issuer' AND party_id = $1`,
      [res.body.id],
    );
    expect(row).toMatchObject({ source: 'inline', version: 1 });

    await eventually(async () => changes.messages.some((m) => m.entity === 'issuer' && m.id === res.body.id && m.op === 'upsert' && m.version === 1));
    await eventually(async () => changes.messages.some((m) => m.entity === 'issuer_keys' && m.id === res.body.id));
    const audit = await eventually(async () => (await readAuditEvents(registry.redis.prefix)).find((a) => a.event.issuer === 'https://idp-a.example.com' && a.event.action === 'created'));
    // On the audit streams, as token-service's events (one transport).
    expect(audit.key).toMatch(new RegExp(`^${registry.redis.prefix}:\\{replay:\\d+\\}:audit-events$`));
    expect(audit.event).toMatchObject({ type: 'admin', outcome: 'success', actor: expect.stringMatching(/^admin-key:[0-9a-f]{12}$/) });
    expect((audit.event.details as { before: unknown; after: { id: string } }).after.id).toBe(res.body.id);
    // the outbox is drained
    await eventually(async () => (await registry.sql(`SELECT 1 FROM registry.outbox`)).length === 0);
  });

  it('accepts every field', async () => {
    const res = await registry.call('POST', '/v1/issuers', newIssuer('full', {
      display_name: 'Partner',
      status: 'disabled',
      expires_at: '2030-01-01T00:00:00+02:00',
      allowed_algorithms: ['ES256'],
      subjects: ['alice', 'bob'],
      condition: 'claims.email.endsWith("@example.com")',
      claim_mappings: { email: 'claims.email', tenant: '"t1"' },
      allowed_scopes: ['read', 'write'],
      audiences: ['https://api.example.com'],
      max_assertion_lifetime_s: 120,
      clock_skew_s: 5,
      require_jti: false,
      require_client_auth: true,
      allowed_client_ids: ['c1'],
      access_token_ttl_s: 60,
    }));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ display_name: 'Partner', status: 'disabled', expires_at: '2029-12-31T22:00:00.000Z', claim_mappings: { email: 'claims.email', tenant: '"t1"' }, require_client_auth: true });
  });

  it('answers 409 for an issuer registered twice', async () => {
    expect((await registry.call('POST', '/v1/issuers', newIssuer('dup'))).status).toBe(201);
    const again = await registry.call('POST', '/v1/issuers', newIssuer('dup'));
    expect(again.status).toBe(409);
    expect(again.body.error_description).toMatch(/^issuer: /);
  });

  it.each([
    ['a missing issuer', { subjects: ['*'], jwks: 'JWKS' }, /^issuer: required/],
    ['missing subjects', { issuer: 'https://x.example.com', jwks: 'JWKS' }, /^subjects: required/],
    ['empty subjects', { issuer: 'https://x.example.com', subjects: [], jwks: 'JWKS' }, /^subjects: /],
    ['no key source', { issuer: 'https://x.example.com', subjects: ['*'] }, /^jwks: one key source is required/],
    ['two key sources', { issuer: 'https://x.example.com', subjects: ['*'], jwks: 'JWKS', jwks_uri: 'https://x.example.com/jwks' }, /^jwks: give exactly one key source/],
    ['three key sources', { issuer: 'https://x.example.com', subjects: ['*'], jwks: 'JWKS', jwks_uri: 'https://x.example.com/jwks', discovery: true }, /exactly one key source/],
    ['jwks_uri with discovery', { issuer: 'https://x.example.com', subjects: ['*'], jwks_uri: 'https://x.example.com/jwks', discovery: true }, /exactly one key source/],
    ['an unknown field', { issuer: 'https://x.example.com', subjects: ['*'], jwks: 'JWKS', colour: 'red' }, /^colour: unknown field/],
    ['a bad CEL condition', { issuer: 'https://x.example.com', subjects: ['*'], jwks: 'JWKS', condition: 'claims.email ==' }, /^condition: /],
    ['a bad CEL claim mapping', { issuer: 'https://x.example.com', subjects: ['*'], jwks: 'JWKS', claim_mappings: { tenant: 'claims.(' } }, /^claim_mappings\.tenant: /],
    ['a mapping onto a reserved claim', { issuer: 'https://x.example.com', subjects: ['*'], jwks: 'JWKS', claim_mappings: { sub: 'claims.x' } }, /^claim_mappings\.sub: /],
    ['a private key in jwks', { issuer: 'https://x.example.com', subjects: ['*'], jwks: 'PRIVATE' }, /^jwks\.keys\[0\]\.d: private key material/],
    ['a jwks without keys', { issuer: 'https://x.example.com', subjects: ['*'], jwks: {} }, /^jwks\.keys: /],
    ['a set whose only key is of an unknown type', { issuer: 'https://x.example.com', subjects: ['*'], jwks: { keys: [{ kty: 'XYZ', kid: 'a' }] } }, /^jwks\.keys: no usable signing key \(a: kty: /],
    ['a jwks_uri over http', { issuer: 'https://x.example.com', subjects: ['*'], jwks_uri: 'ftp://x.example.com/jwks' }, /^jwks_uri: /],
    ['an unknown algorithm', { issuer: 'https://x.example.com', subjects: ['*'], jwks: 'JWKS', allowed_algorithms: ['none'] }, /^allowed_algorithms\[0\]: /],
    ['HS256 for an issuer', { issuer: 'https://x.example.com', subjects: ['*'], jwks: 'JWKS', allowed_algorithms: ['HS256'] }, /^allowed_algorithms\[0\]: /],
    ['a bad status', { issuer: 'https://x.example.com', subjects: ['*'], jwks: 'JWKS', status: 'on' }, /^status: /],
    ['a time without offset', { issuer: 'https://x.example.com', subjects: ['*'], jwks: 'JWKS', expires_at: '2030-01-01T00:00:00' }, /^expires_at: /],
    ['a negative lifetime', { issuer: 'https://x.example.com', subjects: ['*'], jwks: 'JWKS', max_assertion_lifetime_s: -1 }, /^max_assertion_lifetime_s: /],
    ['a string for a boolean', { issuer: 'https://x.example.com', subjects: ['*'], jwks: 'JWKS', require_jti: 'yes' }, /^require_jti: /],
    ['a string for subject_from_issuer', { issuer: 'https://x.example.com', subjects: ['*'], jwks: 'JWKS', subject_from_issuer: 'true' }, /^subject_from_issuer: /],
    ['a string for refresh_tokens', { issuer: 'https://x.example.com', subjects: ['*'], jwks: 'JWKS', refresh_tokens: 'true' }, /^refresh_tokens: /],
    ['a refresh-token family shorter than a minute', { issuer: 'https://x.example.com', subjects: ['*'], jwks: 'JWKS', refresh_token_ttl_s: 59 }, /^refresh_token_ttl_s: /],
    ['a refresh-token family longer than 30 days', { issuer: 'https://x.example.com', subjects: ['*'], jwks: 'JWKS', refresh_token_ttl_s: 2_592_001 }, /^refresh_token_ttl_s: /],
    ['a fractional refresh_token_ttl_s', { issuer: 'https://x.example.com', subjects: ['*'], jwks: 'JWKS', refresh_token_ttl_s: 600.5 }, /^refresh_token_ttl_s: /],
    ['a bad scope token', { issuer: 'https://x.example.com', subjects: ['*'], jwks: 'JWKS', allowed_scopes: ['a b'] }, /^allowed_scopes\[0\]: /],
    ['discovery for a non-URL issuer', { issuer: 'urn:partner', subjects: ['*'], discovery: true }, /^issuer: /],
    ['a body that is an array', [], /^body: /],
  ])('answers 400 for %s', async (_label, body, description) => {
    const resolved = JSON.parse(
      JSON.stringify(body)
        .replace('"JWKS"', JSON.stringify(jwks))
        .replace('"PRIVATE"', JSON.stringify({ keys: [await privateJwk('p1')] })),
    );
    const res = await registry.call('POST', '/v1/issuers', resolved);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
    expect(res.body.error_description).toMatch(description);
  });

  it('answers 400 for a body that is not JSON', async () => {
    const res = await registry.call('POST', '/v1/issuers', '{"issuer": ');
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
  });

  it('holds a set that mixes usable keys with ones it cannot use: ignores and lists them, stores only the usable ones', async () => {
    const { members, kids } = unusableJwks();
    const good = await publicJwk('good', 'RS256');
    const noAlg = { ...(await publicJwk('no-alg')), alg: undefined, use: undefined, x5t: 'aGVsbG8', 'x5t#S256': 'd29ybGQ', x5c: ['MIIBIjAN'] };
    const res = await registry.call('POST', '/v1/issuers', newIssuer('mixed', { jwks: { keys: [members[0], good, ...members.slice(1), noAlg] } }));
    expect(res.status).toBe(201);
    expect(res.body.jwks.keys.map((k: { kid: string }) => k.kid)).toEqual(['good', 'no-alg']);
    const status = (await registry.call('GET', `/v1/issuers/${res.body.id}/jwks`)).body;
    expect(status.keys.map((k: { kid: string }) => k.kid)).toEqual(['good', 'no-alg']);
    expect(status.ignored.map((entry: { kid: string }) => entry.kid)).toEqual(kids);
    expect(status.ignored).toEqual(expect.arrayContaining([
      { kid: 'enc-oaep', reason: 'use: must be "sig"' },
      { kid: 'rsa-1024', reason: 'n: RSA keys must have at least 2048 bits' },
      { kid: 'off-curve', reason: 'x: the point is not on the curve' },
    ]));
    // token-service reads only party_keys.keys: an ignored key is never there.
    const [row] = await registry.sql<{ keys: { keys: { kid: string }[] } }>(`SELECT keys FROM registry.party_keys WHERE party_type = 'issuer' AND party_id = $1`, [res.body.id]);
    expect(row!.keys.keys.map((k) => k.kid)).toEqual(['good', 'no-alg']);
  });

  it('updates the ignored list when a patch re-registers the same usable keys beside other members', async () => {
    const good = await publicJwk('stay');
    const created = (await registry.call('POST', '/v1/issuers', newIssuer('reignore', { jwks: { keys: [good] } }))).body;
    const { members } = unusableJwks();
    const patched = await registry.call('PATCH', `/v1/issuers/${created.id}`, { jwks: { keys: [good, members[0]] } });
    expect(patched.status).toBe(200);
    const status = (await registry.call('GET', `/v1/issuers/${created.id}/jwks`)).body;
    expect(status.ignored).toEqual([{ kid: 'enc-oaep', reason: 'use: must be "sig"' }]);
    expect(status.version).toBe(1);
    await registry.call('PATCH', `/v1/issuers/${created.id}`, { jwks: { keys: [good] } });
    expect((await registry.call('GET', `/v1/issuers/${created.id}/jwks`)).body.ignored).toEqual([]);
  });

  it('answers 400 naming jwks for a set with no usable signing key, and says why for each key', async () => {
    const { members } = unusableJwks();
    const res = await registry.call('POST', '/v1/issuers', newIssuer('nousable', { jwks: { keys: members } }));
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
    expect(res.body.error_description).toMatch(/^jwks\.keys: no usable signing key \(enc-oaep: use: must be "sig"; rsa-1024: n: RSA keys must have at least 2048 bits; x25519: crv: .*; es256k: crv: .*; off-curve: x: the point is not on the curve\)$/);
  });

  it('answers 400 for an EC key whose point is not on its curve, alone', async () => {
    const offCurve = unusableJwks().members.find((member) => member.kid === 'off-curve');
    const res = await registry.call('POST', '/v1/issuers', newIssuer('offcurve', { jwks: { keys: [offCurve] } }));
    expect(res.status).toBe(400);
    expect(res.body.error_description).toBe('jwks.keys: no usable signing key (off-curve: x: the point is not on the curve)');
  });

  it('answers 400 for duplicate kids', async () => {
    const key = await publicJwk('same');
    const res = await registry.call('POST', '/v1/issuers', newIssuer('dupkid', { jwks: { keys: [key, { ...key }] } }));
    expect(res.status).toBe(400);
    expect(res.body.error_description).toMatch(/^jwks\.keys\[1\]\.kid: /);
  });
});

describe('credentials', () => {
  it.each([
    ['no credential', {}],
    ['a wrong credential', { authorization: 'Bearer not-the-admin-key' }],
    ['another scheme', { authorization: 'Basic YWRtaW46YWRtaW4=' }],
  ])('answers 401 with %s, on every route', async (_label, headers) => {
    const routes: [string, string][] = [
      ['GET', '/v1/issuers'],
      ['POST', '/v1/issuers'],
      ['GET', '/v1/issuers/00000000-0000-4000-8000-000000000000'],
      ['PATCH', '/v1/issuers/00000000-0000-4000-8000-000000000000'],
      ['DELETE', '/v1/issuers/00000000-0000-4000-8000-000000000000'],
      ['GET', '/v1/issuers/00000000-0000-4000-8000-000000000000/jwks'],
      ['POST', '/v1/issuers/00000000-0000-4000-8000-000000000000/jwks/refresh'],
    ];
    for (const [method, path] of routes) {
      const response = await fetch(`${registry.url}${path}`, { method, headers });
      expect([method, path, response.status]).toEqual([method, path, 401]);
      expect(await response.json()).toMatchObject({ error: 'unauthorized' });
    }
  });
});

describe('GET, PATCH, DELETE /v1/issuers/{id}', () => {
  it('reads, patches and deletes, publishing each change', async () => {
    const created = (await registry.call('POST', '/v1/issuers', newIssuer('life'))).body;
    expect((await registry.call('GET', `/v1/issuers/${created.id}`)).body).toEqual(created);

    const patched = await registry.call('PATCH', `/v1/issuers/${created.id}`, {
      display_name: 'Renamed',
      allowed_scopes: ['read'],
      subject_from_issuer: true,
      refresh_tokens: true,
      refresh_token_ttl_s: 3600,
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ display_name: 'Renamed', allowed_scopes: ['read'], subject_from_issuer: true, refresh_tokens: true, refresh_token_ttl_s: 3600, version: 2, jwks: created.jwks });
    const [stored] = await registry.sql<{ subject_from_issuer: boolean; refresh_tokens: boolean; refresh_token_ttl_s: number }>(
      `SELECT subject_from_issuer, refresh_tokens, refresh_token_ttl_s FROM registry.issuers WHERE id = $1`,
      [created.id],
    );
    expect(stored).toEqual({ subject_from_issuer: true, refresh_tokens: true, refresh_token_ttl_s: 3600 });
    await eventually(async () => changes.messages.some((m) => m.entity === 'issuer' && m.id === created.id && m.version === 2));

    // switching the key source replaces it
    const switched = await registry.call('PATCH', `/v1/issuers/${created.id}`, { jwks_uri: 'https://idp-life.example.com/jwks' });
    expect(switched.status).toBe(200);
    expect(switched.body).toMatchObject({ jwks: null, jwks_uri: 'https://idp-life.example.com/jwks', discovery: false });
    const keys = await registry.call('GET', `/v1/issuers/${created.id}/jwks`);
    expect(keys.body).toMatchObject({ source: 'jwks_uri', keys: [] });

    const removed = await registry.call('DELETE', `/v1/issuers/${created.id}`);
    expect(removed.status).toBe(204);
    expect((await registry.call('GET', `/v1/issuers/${created.id}`)).status).toBe(404);
    await eventually(async () => changes.messages.some((m) => m.entity === 'issuer' && m.id === created.id && m.op === 'delete' && m.version === 4));
    await eventually(async () => changes.messages.some((m) => m.entity === 'issuer_keys' && m.id === created.id && m.op === 'delete'));
    const actions = await eventually(async () => {
      const events = (await readAuditEvents(registry.redis.prefix)).filter((a) => a.event.issuer === 'https://idp-life.example.com');
      return events.length >= 4 ? events.map((a) => a.event.action).sort() : undefined;
    });
    expect(actions).toEqual(expect.arrayContaining(['created', 'deleted', 'updated', 'updated']));
  });

  it.each([
    ['an unknown field', { colour: 'red' }, /^colour: unknown field/],
    ['two key sources', { jwks: 'JWKS', jwks_uri: 'https://x.example.com/jwks' }, /exactly one key source/],
    ['no key source', { jwks: null }, /one key source is required/],
    ['a bad CEL condition', { condition: '1 +' }, /^condition: /],
    ['a null for a required list', { subjects: null }, /^subjects: /],
  ])('PATCH answers 400 for %s', async (_label, patch, description) => {
    const created = (await registry.call('POST', '/v1/issuers', newIssuer(`patch-${Math.random().toString(36).slice(2)}`))).body;
    const resolved = JSON.parse(JSON.stringify(patch).replace('"JWKS"', JSON.stringify(jwks)));
    const res = await registry.call('PATCH', `/v1/issuers/${created.id}`, resolved);
    expect(res.status).toBe(400);
    expect(res.body.error_description).toMatch(description);
    expect((await registry.call('GET', `/v1/issuers/${created.id}`)).body.version).toBe(1);
  });

  it('PATCH answers 409 when renaming onto another issuer', async () => {
    await registry.call('POST', '/v1/issuers', newIssuer('taken'));
    const other = (await registry.call('POST', '/v1/issuers', newIssuer('other'))).body;
    const res = await registry.call('PATCH', `/v1/issuers/${other.id}`, { issuer: 'https://idp-taken.example.com' });
    expect(res.status).toBe(409);
  });

  it.each([
    ['GET', ''],
    ['PATCH', ''],
    ['DELETE', ''],
    ['GET', '/jwks'],
    ['POST', '/jwks/refresh'],
  ])('%s %s answers 404 for an unknown id', async (method, suffix) => {
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      const res = await registry.call(method, `/v1/issuers/${id}${suffix}`, method === 'PATCH' ? { display_name: 'x' } : undefined);
      expect(res.status).toBe(404);
      expect(res.body.error).toBe('not_found');
    }
  });
});

describe('GET /v1/issuers (paging)', () => {
  it('walks every issuer once with the cursor', async () => {
    for (let i = 0; i < 7; i++) await registry.call('POST', '/v1/issuers', newIssuer(`page-${i}`));
    const total = Number((await registry.sql<{ n: string }>(`SELECT count(*) AS n FROM registry.issuers`))[0]!.n);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await registry.call('GET', `/v1/issuers?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(3);
      seen.push(...res.body.items.map((item: { id: string }) => item.id));
      cursor = res.body.next_cursor;
      pages++;
    } while (cursor !== null && pages < 50);
    expect(seen).toHaveLength(total);
    expect(new Set(seen).size).toBe(total);
  });

  it('caps the limit at 100', async () => {
    const res = await registry.call('GET', '/v1/issuers?limit=1000');
    expect(res.status).toBe(200);
    expect(res.body.items.length).toBeLessThanOrEqual(100);
  });

  it.each([
    ['limit=0', /^limit: /],
    ['limit=-1', /^limit: /],
    ['limit=abc', /^limit: /],
    ['limit=1.5', /^limit: /],
    ['cursor=garbage', /^cursor: /],
    [`cursor=${Buffer.from('["2026-01-01T00:00:00.000000Z","not-a-uuid"]').toString('base64url')}`, /^cursor: /],
    ['colour=red', /^colour: unknown field/],
  ])('answers 400 for %s', async (query, description) => {
    const res = await registry.call('GET', `/v1/issuers?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.error_description).toMatch(description);
  });
});

describe('OpenAPI', () => {
  it('describes every admin route, its bodies and the bearer scheme, without a credential', async () => {
    const response = await fetch(`${registry.url}/openapi.json`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as {
      paths: Record<string, Record<string, { security?: unknown; requestBody?: { content: Record<string, { schema: { properties: Record<string, unknown>; additionalProperties?: boolean; required?: string[] } }> } }>>;
      components: { securitySchemes: Record<string, { scheme: string }> };
    };
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/v1/issuers', '/v1/issuers/{id}', '/v1/issuers/{id}/jwks', '/v1/issuers/{id}/jwks/refresh', '/v1/clients', '/v1/clients/{client_id}', '/v1/clients/{client_id}/secret', '/v1/clients/{client_id}/assertion-revocations']),
    );
    expect(document.components.securitySchemes.admin!.scheme).toBe('bearer');
    const create = document.paths['/v1/issuers']!.post!;
    expect(create.security).toEqual([{ admin: [] }]);
    const schema = create.requestBody!.content['application/json']!.schema;
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(expect.arrayContaining(['issuer', 'subjects']));
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['jwks', 'jwks_uri', 'discovery', 'condition', 'claim_mappings', 'subject_from_issuer', 'refresh_tokens', 'refresh_token_ttl_s']));
    const docs = await fetch(`${registry.url}/docs`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger');
  });
});
