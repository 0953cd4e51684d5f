/**
 * Component tests talk to a fake of the admin API at the fetch boundary: each route answers
 * what the real API answers (shapes from CONTRACT.md); every call is recorded. The real
 * API is exercised by the end-to-end tests (e2e/).
 */
import { render } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { CONTRACT_ISSUER_DEFAULTS } from '@trust-broker/testing/issuer-defaults';
import { ConsoleApp } from '../ConsoleApp';

export interface Call {
  method: string;
  path: string;
  body: unknown;
  authorization: string | null;
  accept: string | null;
  signal: AbortSignal | null;
}

/** `ndjson`: an NDJSON answer, its lines given whole or as a stream the test writes to. */
type Reply = { status?: number; body?: unknown; ndjson?: unknown[] | ReadableStream<Uint8Array> };
type Answer = Reply | ((call: Call) => Reply);

export class FakeApi {
  readonly calls: Call[] = [];
  private readonly routes: [string, Answer][] = [];

  /** `on('GET /v1/issuers', {...})`; a path may end in `*` to match a prefix. Later routes win. */
  on(route: string, answer: Answer): this {
    this.routes.unshift([route, answer]);
    return this;
  }

  readonly fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const path = String(input);
    const method = init?.method ?? 'GET';
    const headers = new Headers(init?.headers);
    const call: Call = {
      method,
      path,
      body: init?.body ? JSON.parse(String(init.body)) : undefined,
      authorization: headers.get('authorization'),
      accept: headers.get('accept'),
      signal: init?.signal ?? null,
    };
    this.calls.push(call);
    const pathOnly = path.split('?')[0];
    const found = this.routes.find(([route]) => {
      const [routeMethod, routePath] = route.split(' ') as [string, string];
      if (routeMethod !== method) return false;
      return routePath.endsWith('*') ? path.startsWith(routePath.slice(0, -1)) : routePath === pathOnly;
    });
    if (!found) return new Response(JSON.stringify({ error: 'not_found', error_description: `no fake for ${method} ${path}` }), { status: 404 });
    const answer = typeof found[1] === 'function' ? found[1](call) : found[1];
    const status = answer.status ?? 200;
    if (answer.ndjson !== undefined) {
      const body = Array.isArray(answer.ndjson) ? answer.ndjson.map((line) => `${JSON.stringify(line)}\n`).join('') : answer.ndjson;
      return new Response(body, { status, headers: { 'content-type': 'application/x-ndjson' } });
    }
    return new Response(status === 204 ? null : JSON.stringify(answer.body ?? {}), { status, headers: { 'content-type': 'application/json' } });
  };

  callsTo(method: string, pathPrefix: string): Call[] {
    return this.calls.filter((call) => call.method === method && call.path.startsWith(pathPrefix));
  }
}

export const KEY = 'admin-key-for-component-tests-0123456789';

/** The console at `path`, signed in unless `signedIn` is false. */
export function renderConsole(api: FakeApi, path: string, { signedIn = true } = {}) {
  if (signedIn) window.sessionStorage.setItem('trust-broker.admin-key', KEY);
  return render(
    <MemoryRouter initialEntries={[path]}>
      <ConsoleApp styleNonce="test-nonce" fetcher={api.fetch as typeof fetch} />
    </MemoryRouter>,
  );
}

export const issuer = (overrides: Record<string, unknown> = {}) => ({
  id: '8f8b8a39-8c59-4d6b-9a49-6f4f2a1b2c3d',
  issuer: 'https://idp.partner.example',
  display_name: 'Partner IdP',
  ...CONTRACT_ISSUER_DEFAULTS,
  jwks: null,
  jwks_uri: 'https://idp.partner.example/jwks.json',
  subjects: ['*'],
  allowed_scopes: ['read'],
  accepted_audiences: ['https://broker.example'],
  created_at: '2026-12-01T10:00:00.000Z',
  updated_at: '2026-12-01T10:00:00.000Z',
  ...overrides,
});

export const keyStatus = (overrides: Record<string, unknown> = {}) => ({
  keys: [{ kid: 'partner-key-1', kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' }],
  source: 'jwks_uri',
  jwks_uri: 'https://idp.partner.example/jwks.json',
  fetched_at: new Date(Date.now() - 120_000).toISOString(),
  next_refresh_at: new Date(Date.now() + 3_480_000).toISOString(),
  last_error: null,
  last_error_at: null,
  version: 1,
  ...overrides,
});

/** An NDJSON answer the test writes line by line, then ends or breaks off. */
export function ndjsonStream() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const stream = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  const encoder = new TextEncoder();
  return {
    stream,
    line: (value: unknown) => controller.enqueue(encoder.encode(`${JSON.stringify(value)}\n`)),
    end: () => controller.close(),
    breakOff: () => controller.error(new TypeError('terminated')),
  };
}
