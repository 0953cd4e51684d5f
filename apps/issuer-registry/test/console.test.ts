/**
 * The admin console's side of the registry: the page at /console (its CSP, a fresh style
 * nonce per load, the built files), the expression check the console calls as an admin
 * types (the same words as POST /v1/issuers), and the relay of the audit API.
 */
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_KEY, startRegistry, type RegistryHarness } from './support/registry-harness';
import { publicJwk } from './support/test-keys';

jest.setTimeout(120_000);

const INDEX = '<!doctype html><html><head><meta name="csp-nonce" content="__CSP_NONCE__"><script type="module" src="/console/assets/app-1.js"></script></head><body></body></html>';

interface Seen {
  url: string;
  authorization: string | undefined;
}

describe('the admin console at /console', () => {
  let registry: RegistryHarness;
  let site: string;
  let audit: Server;
  let auditAnswers: (request: IncomingMessage) => { status: number; body: unknown };
  const seen: Seen[] = [];

  beforeAll(async () => {
    site = mkdtempSync(join(tmpdir(), 'console-site-'));
    mkdirSync(join(site, 'assets'));
    writeFileSync(join(site, 'index.html'), INDEX);
    writeFileSync(join(site, 'assets', 'app-1.js'), 'console.log("console");\n');
    audit = createServer((request, response) => {
      seen.push({ url: request.url ?? '', authorization: request.headers.authorization });
      const answer = auditAnswers(request);
      response.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
    });
    await new Promise<void>((resolve) => audit.listen(0, '127.0.0.1', resolve));
    registry = await startRegistry('console', {
      ADMIN_CONSOLE_DIR: site,
      AUDIT_API_URL: `http://127.0.0.1:${(audit.address() as AddressInfo).port}`,
    });
  });

  afterAll(async () => {
    await registry?.close();
    await new Promise((resolve) => audit?.close(resolve));
    rmSync(site, { recursive: true, force: true });
  });

  const page = (path: string) => fetch(`${registry.url}${path}`);

  it('serves the page with a strict CSP: scripts from its own origin only, a new style nonce each load', async () => {
    const first = await page('/console');
    const second = await page('/console');
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toMatch(/^text\/html/);
    const policies = [first, second].map((response) => response.headers.get('content-security-policy') ?? '');
    const bodies = [await first.text(), await second.text()];
    const nonces = bodies.map((body) => /<meta name="csp-nonce" content="([^"]+)">/.exec(body)?.[1]);
    expect(nonces[0]).toMatch(/^[A-Za-z0-9+/]{24}$/);
    expect(nonces[0]).not.toBe(nonces[1]);
    for (const [index, policy] of policies.entries()) {
      const directives = Object.fromEntries(policy.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1).join(' ')]));
      expect(directives).toEqual({
        'default-src': "'none'",
        'script-src': "'self'",
        'style-src': `'self' 'nonce-${nonces[index]}'`,
        'img-src': "'self' data:",
        'font-src': "'self'",
        'connect-src': "'self'",
        'manifest-src': "'self'",
        'base-uri': "'none'",
        'form-action': "'self'",
        'frame-ancestors': "'none'",
      });
      expect(policy).not.toContain('unsafe');
    }
    expect(first.headers.get('x-frame-options')).toBe('DENY');
    expect(first.headers.get('x-content-type-options')).toBe('nosniff');
    expect(first.headers.get('referrer-policy')).toBe('no-referrer');
    expect(first.headers.get('cache-control')).toBe('no-store');
    expect(first.headers.get('set-cookie')).toBeNull();
  });

  it('answers the same page for every path the app routes in the browser', async () => {
    for (const path of ['/console/', '/console/issuers', '/console/issuers/0b6f/edit', '/console/audit?type=token']) {
      const response = await page(path);
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('/console/assets/app-1.js');
    }
  });

  it('serves the built files under /console/assets/, cached for good, and 404 for a missing one', async () => {
    const script = await page('/console/assets/app-1.js');
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    expect(script.headers.get('cache-control')).toContain('immutable');
    expect(script.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await script.text()).toContain('console');
    expect((await page('/console/assets/nope.js')).status).toBe(404);
    expect((await page('/console/assets/../index.html')).status).not.toBe(500);
  });

  describe('POST /v1/issuers/expressions/check', () => {
    const check = (body: unknown, headers?: Record<string, string>) => registry.call('POST', '/v1/issuers/expressions/check', body, headers);

    it('answers valid for a good condition and good mappings', async () => {
      const response = await check({ condition: "claims.email.endsWith('@partner.example')", claim_mappings: { email: 'claims.email', team: 'claims.groups[0]' } });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ valid: true, problems: [] });
      expect((await check({})).body).toEqual({ valid: true, problems: [] });
    });

    it('reports every problem in the words POST /v1/issuers uses, and saves nothing', async () => {
      const condition = 'claims.email ==';
      const claimMappings = { sub: 'claims.email', 'bad name!': 'claims.x', email: 'claims.email +', team: 'claims.team' };
      const response = await check({ condition, claim_mappings: claimMappings });
      expect(response.status).toBe(200);
      expect(response.body.valid).toBe(false);
      expect(response.body.problems.map((p: { field: string }) => p.field)).toEqual(['condition', 'claim_mappings.sub', 'claim_mappings.bad name!', 'claim_mappings.email']);

      // Each problem is what the create would answer for that field alone.
      const jwks = { keys: [await publicJwk('k-console')] };
      const created = async (extra: Record<string, unknown>) =>
        (await registry.call('POST', '/v1/issuers', { issuer: 'https://idp-console.example', subjects: ['*'], jwks, ...extra })).body.error_description;
      const expected = [
        await created({ condition }),
        await created({ claim_mappings: { sub: 'claims.email' } }),
        await created({ claim_mappings: { 'bad name!': 'claims.x' } }),
        await created({ claim_mappings: { email: 'claims.email +' } }),
      ];
      expect(response.body.problems.map((p: { error_description: string }) => p.error_description)).toEqual(expected);
      expect(expected[0]).toMatch(/^condition: /);
      expect(expected[1]).toMatch(/^claim_mappings\.sub: /);
      expect((await registry.call('GET', '/v1/issuers')).body.items).toEqual([]);
    });

    it('reports an empty condition and too many mappings', async () => {
      const many = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`c${i}`, 'claims.x']));
      const response = await check({ condition: '', claim_mappings: many });
      expect(response.body.problems).toEqual([
        { field: 'condition', error_description: 'condition: must not be empty' },
        { field: 'claim_mappings', error_description: 'claim_mappings: must hold at most 50 mappings' },
      ]);
    });

    it.each([
      [{ claim_mappings: ['claims.x'] }, /^claim_mappings: /],
      [{ condition: 42 }, /^condition: /],
      [{ condition: 'true', other: 1 }, /^other: unknown field/],
      ['not json', /./],
    ])('refuses a body of the wrong shape %j with 400 naming the field', async (body, description) => {
      const response = await check(body, typeof body === 'string' ? { 'content-type': 'application/json' } : undefined);
      expect(response.status).toBe(400);
      expect(response.body.error).toBe('invalid_request');
      expect(response.body.error_description).toMatch(description);
    });

    it('needs the admin credential', async () => {
      const response = await check({ condition: 'true' }, { authorization: 'Bearer not-the-admin-key-000000' });
      expect(response.status).toBe(401);
    });

    it('is described in the OpenAPI document, with the relayed audit reads', async () => {
      const document = (await (await fetch(`${registry.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
      expect(Object.keys(document.paths['/v1/issuers/expressions/check'] ?? {})).toEqual(['post']);
      for (const path of ['/v1/audit/events', '/v1/audit/events/per-minute', '/v1/audit/verify']) expect(Object.keys(document.paths[path] ?? {})).toEqual(['get']);
      const verify = document.paths['/v1/audit/verify']!.get as { parameters?: Array<{ name: string; in: string }> };
      expect(verify.parameters).toEqual([expect.objectContaining({ name: 'full', in: 'query' })]);
      expect(Object.keys(document.paths).filter((path) => path.startsWith('/console'))).toEqual([]);
    });
  });

  describe('the audit API relayed for the console', () => {
    beforeEach(() => {
      seen.length = 0;
      auditAnswers = (request) =>
        request.url?.startsWith('/v1/audit/verify') ? { status: 200, body: { intact: true, checked: 3, broken_at: null, reason: null } } : { status: 200, body: { items: [], next_cursor: null } };
    });

    it('passes path, query and the credential to the audit API and answers what it answers', async () => {
      const events = await registry.call('GET', '/v1/audit/events?type=token&outcome=failure&limit=5');
      expect(events.status).toBe(200);
      expect(events.body).toEqual({ items: [], next_cursor: null });
      expect(events.headers.get('cache-control')).toBe('no-store');
      const verify = await registry.call('GET', '/v1/audit/verify');
      expect(verify.body).toEqual({ intact: true, checked: 3, broken_at: null, reason: null });
      await registry.call('GET', '/v1/audit/verify?full=true');
      await registry.call('GET', '/v1/audit/events/per-minute?type=token');
      expect(seen).toEqual([
        { url: '/v1/audit/events?type=token&outcome=failure&limit=5', authorization: `Bearer ${ADMIN_KEY}` },
        { url: '/v1/audit/verify', authorization: `Bearer ${ADMIN_KEY}` },
        { url: '/v1/audit/verify?full=true', authorization: `Bearer ${ADMIN_KEY}` },
        { url: '/v1/audit/events/per-minute?type=token', authorization: `Bearer ${ADMIN_KEY}` },
      ]);
    });

    it("answers the audit API's own errors with their status", async () => {
      auditAnswers = () => ({ status: 400, body: { error: 'invalid_request', error_description: 'since must be an RFC 3339 time' } });
      const response = await registry.call('GET', '/v1/audit/events?since=yesterday');
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ error: 'invalid_request', error_description: 'since must be an RFC 3339 time' });
    });

    it('relays nothing without the admin credential, and nothing but the three reads', async () => {
      expect((await registry.call('GET', '/v1/audit/events', undefined, { authorization: 'Bearer wrong-key-000000000000000' })).status).toBe(401);
      expect((await fetch(`${registry.url}/v1/audit/verify`)).status).toBe(401);
      expect((await registry.call('GET', '/v1/audit/events/export')).status).toBe(404);
      expect((await registry.call('GET', '/v1/audit/keys')).status).toBe(404);
      expect(seen).toEqual([]);
    });
  });
});

describe('the admin console when the audit API or the build is missing', () => {
  let registry: RegistryHarness;

  beforeAll(async () => {
    // A port nothing listens on: take one, then free it.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    registry = await startRegistry('console-missing', { ADMIN_CONSOLE_DIR: join(tmpdir(), 'no-console-here'), AUDIT_API_URL: `http://127.0.0.1:${port}` });
  });
  afterAll(async () => registry?.close());

  it('answers 503 temporarily_unavailable when the audit API does not answer', async () => {
    const response = await registry.call('GET', '/v1/audit/verify');
    expect(response.status).toBe(503);
    expect(response.body.error).toBe('temporarily_unavailable');
  });

  it('answers 503 saying how to build when the console is not built', async () => {
    const response = await fetch(`${registry.url}/console`);
    expect(response.status).toBe(503);
    expect(((await response.json()) as { error_description: string }).error_description).toMatch(/npm run build/);
  });
});

describe('the built console (apps/admin-console/dist) by default', () => {
  let registry: RegistryHarness;
  beforeAll(async () => {
    registry = await startRegistry('console-built');
  });
  afterAll(async () => registry?.close());

  it('is found beside the registry and serves its script and styles', async () => {
    expect(registry.config.console.dir).toMatch(/admin-console[/\\]dist$/);
    const html = await (await fetch(`${registry.url}/console`)).text();
    expect(html).toBe(readFileSync(join(registry.config.console.dir!, 'index.html'), 'utf8').replace('__CSP_NONCE__', /content="([^"]+)"/.exec(html.slice(html.indexOf('csp-nonce')))![1]!));
    const assets = [...html.matchAll(/(?:src|href)="(\/console\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets.some((a) => a.endsWith('.js'))).toBe(true);
    expect(assets.some((a) => a.endsWith('.css'))).toBe(true);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    for (const asset of assets) expect((await fetch(`${registry.url}${asset}`)).status).toBe(200);
  });
});
