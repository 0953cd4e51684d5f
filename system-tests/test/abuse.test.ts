/**
 * Abuse (SECURITY.md "Abuse"): every admin and audit route refuses a caller without the
 * credential (401, walked from the registry's own /openapi.json), and every endpoint that
 * takes a body refuses one over 1,048,576 bytes (413) with a JSON error, staying up.
 */
import { randomBytes } from 'node:crypto';
import { startSystem, type System } from './support/system';

const BODY_LIMIT = 1_048_576;
let system: System;

interface Route {
  method: string;
  path: string;
}

let registryRoutes: Route[];
/** CONTRACT.md: health, readiness and metrics need no credentials; nor does the API description. */
const PUBLIC_PATHS = ['/healthz', '/readyz', '/metrics', '/openapi.json', '/docs'];

beforeAll(async () => {
  system = await startSystem('abuse', { auditWorker: true });
  const spec = (await (await fetch(`${system.registry.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
  registryRoutes = Object.entries(spec.paths).flatMap(([path, operations]) =>
    Object.keys(operations)
      .filter((method) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
      .map((method) => ({ method: method.toUpperCase(), path: path.replace(/\{[^}]+\}/g, 'some-id') })),
  );
});

afterAll(async () => {
  await system?.stop();
});

const AUDIT_ROUTES: Route[] = [
  { method: 'GET', path: '/v1/audit/events' },
  { method: 'GET', path: '/v1/audit/events/export' },
  { method: 'GET', path: '/v1/audit/verify' },
];

/** Credentials that must all be refused: none, a wrong key of the same length, other schemes, the key itself without a scheme. */
function badCredentials(): [string, Record<string, string>][] {
  const wrong = randomBytes(32).toString('base64url');
  return [
    ['no Authorization header', {}],
    ['a wrong key', { authorization: `Bearer ${wrong}` }],
    ['an empty bearer', { authorization: 'Bearer ' }],
    ['the key as Basic', { authorization: `Basic ${Buffer.from(`admin:${system.adminApiKey}`).toString('base64')}` }],
    ['the key without a scheme', { authorization: system.adminApiKey }],
    ['the key with a suffix', { authorization: `Bearer ${system.adminApiKey}x` }],
  ];
}

async function call(base: string, route: Route, headers: Record<string, string>, body?: string) {
  const response = await fetch(`${base}${route.path}`, {
    method: route.method,
    headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body } : {}),
  });
  const text = await response.text();
  return { status: response.status, text };
}

describe('admin and audit routes without credentials', () => {
  it('the registry publishes its routes (the walk below is not empty)', () => {
    expect(registryRoutes.length).toBeGreaterThanOrEqual(12);
    expect(registryRoutes).toEqual(expect.arrayContaining([{ method: 'POST', path: '/v1/issuers' }, { method: 'DELETE', path: '/v1/clients/some-id' }]));
  });

  it('the only routes outside /v1 are the public ones', () => {
    const outside = registryRoutes.filter((route) => !route.path.startsWith('/v1/'));
    for (const route of outside) expect(PUBLIC_PATHS).toContain(route.path);
  });

  it('every registry /v1 route answers 401 with a JSON error to every bad credential', async () => {
    const failures: string[] = [];
    for (const route of registryRoutes.filter((r) => r.path.startsWith('/v1/'))) {
      for (const [label, headers] of badCredentials()) {
        const body = ['POST', 'PATCH', 'PUT'].includes(route.method) ? '{}' : undefined;
        const answer = await call(system.registry.url, route, headers, body);
        const error = answer.status === 401 ? (JSON.parse(answer.text) as { error?: string }).error : undefined;
        if (answer.status !== 401 || typeof error !== 'string') failures.push(`${route.method} ${route.path} with ${label}: ${answer.status} ${answer.text.slice(0, 200)}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('every audit route answers 401 to every bad credential', async () => {
    const failures: string[] = [];
    for (const route of AUDIT_ROUTES) {
      for (const [label, headers] of badCredentials()) {
        const answer = await call(system.audit!.url, route, headers);
        if (answer.status !== 401) failures.push(`${route.method} ${route.path} with ${label}: ${answer.status}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('the audit checkpoint keys are public on purpose, and hold no private part', async () => {
    const response = await fetch(`${system.audit!.url}/v1/audit/keys`);
    expect(response.status).toBe(200);
    const { keys } = (await response.json()) as { keys: Record<string, unknown>[] };
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(key.d).toBeUndefined();
  });

  it('the credential itself opens them (the 401s above are about the credential)', async () => {
    const auth = { authorization: `Bearer ${system.adminApiKey}` };
    expect((await call(system.registry.url, { method: 'GET', path: '/v1/issuers' }, auth)).status).toBe(200);
    expect((await call(system.audit!.url, { method: 'GET', path: '/v1/audit/verify' }, auth)).status).toBe(200);
  });
});

describe('request size limits', () => {
  const oversizedJson = () => JSON.stringify({ issuer: 'https://big.example.com', padding: 'a'.repeat(BODY_LIMIT) });
  const oversizedForm = () => `grant_type=client_credentials&padding=${'a'.repeat(BODY_LIMIT)}`;

  it.each(['/oauth2/token', '/oauth2/introspect', '/oauth2/revoke'])('token-service %s: 413 with a JSON error', async (path) => {
    const response = await fetch(`${system.tokens[0].url}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: oversizedForm() });
    expect(response.status).toBe(413);
    expect((await response.json()) as object).toMatchObject({ error: expect.any(String) });
  });

  it('every registry route that takes a body: 413 with a JSON error', async () => {
    const writes = registryRoutes.filter((route) => ['POST', 'PATCH', 'PUT'].includes(route.method));
    expect(writes.length).toBeGreaterThanOrEqual(6);
    const failures: string[] = [];
    for (const route of writes) {
      const answer = await call(system.registry.url, route, { authorization: `Bearer ${system.adminApiKey}` }, oversizedJson());
      if (answer.status !== 413 || typeof (JSON.parse(answer.text) as { error?: string }).error !== 'string') failures.push(`${route.method} ${route.path}: ${answer.status} ${answer.text.slice(0, 200)}`);
    }
    expect(failures).toEqual([]);
  });

  it('a body just under the limit is read (401 invalid_client, not 413) and every process is still up', async () => {
    const body = `grant_type=client_credentials&padding=${'a'.repeat(BODY_LIMIT - 100)}`;
    const response = await fetch(system.tokens[0].tokenEndpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
    expect(response.status).toBe(401);
    for (const url of [system.tokens[0].url, system.registry.url, system.audit!.url]) expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });
});
