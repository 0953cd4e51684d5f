/**
 * The CLI end to end against a real local HTTP peer that records what it receives:
 * argument parsing, the requests it sends, how it prints answers and errors, and its
 * exit codes. (Tests against the real services are in test/.)
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { runCli } from './program';

interface Received {
  method: string;
  url: string;
  authorization: string | undefined;
  contentType: string | undefined;
  accept: string | undefined;
  body: string;
}

/** `body` is sent as JSON; `raw` as it is, with `contentType`. */
type Responder = (request: Received) => { status: number; body?: unknown; raw?: string; contentType?: string };

describe('trust-broker CLI', () => {
  let server: Server;
  let baseUrl: string;
  let received: Received[] = [];
  let respond: Responder = () => ({ status: 200, body: {} });
  const emptyDir = mkdtempSync(join(tmpdir(), 'tb-cli-cwd-'));

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const request = {
          method: req.method ?? '',
          url: req.url ?? '',
          authorization: req.headers.authorization,
          contentType: req.headers['content-type'],
          accept: req.headers.accept,
          body,
        };
        received.push(request);
        const answer = respond(request);
        res.writeHead(answer.status, { 'content-type': answer.contentType ?? 'application/json' });
        res.end(answer.raw ?? (answer.body === undefined ? '' : JSON.stringify(answer.body)));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => {
    received = [];
    respond = () => ({ status: 200, body: {} });
  });

  async function run(args: string[], env: Record<string, string> = {}, cwd = emptyDir) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(args, {
      output: { out: (text) => out.push(text), err: (text) => err.push(text) },
      env: { TRUST_BROKER_REGISTRY_URL: baseUrl, TRUST_BROKER_AUDIT_URL: baseUrl, TRUST_BROKER_TOKEN_URL: `${baseUrl}/oauth2/token`, TRUST_BROKER_ADMIN_KEY: 'admin-key-1', ...env },
      cwd,
    });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  it('issuers add: POSTs the body with the admin bearer and prints the created issuer', async () => {
    respond = () => ({ status: 201, body: { id: 'i-1', issuer: 'https://idp.example', status: 'active', subjects: ['*'] } });
    const result = await run(['issuers', 'add', '--issuer', 'https://idp.example', '--subjects', '*', '--discovery', '--allowed-scopes', 'read,write']);
    expect(result).toMatchObject({ code: 0, err: '' });
    expect(result.out).toContain('https://idp.example');
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ method: 'POST', url: '/v1/issuers', authorization: 'Bearer admin-key-1', contentType: 'application/json' });
    expect(JSON.parse(received[0]!.body)).toEqual({ issuer: 'https://idp.example', subjects: ['*'], discovery: true, allowed_scopes: ['read', 'write'] });
  });

  it("shows the server's error_description and exits 1", async () => {
    respond = () => ({ status: 409, body: { error: 'conflict', error_description: 'issuer https://idp.example already exists' } });
    const result = await run(['issuers', 'add', '--issuer', 'https://idp.example', '--subjects', '*', '--discovery']);
    expect(result.code).toBe(1);
    expect(result.err).toContain('conflict: issuer https://idp.example already exists (HTTP 409');
  });

  it('with --json, errors are JSON on stderr: the server fields, or the CLI code', async () => {
    respond = () => ({ status: 400, body: { error: 'invalid_request', error_description: 'subjects: required' } });
    const server = await run(['--json', 'issuers', 'add', '--issuer', 'https://i', '--subjects', '*', '--discovery']);
    expect(server.code).toBe(1);
    expect(JSON.parse(server.err)).toEqual({ error: 'invalid_request', error_description: 'subjects: required', status: 400, url: `${baseUrl}/v1/issuers` });
    const usage = await run(['--json', 'issuers', 'list'], { TRUST_BROKER_ADMIN_KEY: '' });
    expect(usage.code).toBe(2);
    expect(JSON.parse(usage.err)).toMatchObject({ error: 'usage_error', error_description: expect.stringContaining('no admin key') });
  });

  it('--version prints the package version', async () => {
    const result = await run(['--version']);
    expect(result).toMatchObject({ code: 0, out: '0.1.0' });
  });

  it('a 401 names the credential problem', async () => {
    respond = (request) => (request.authorization === 'Bearer right' ? { status: 200, body: { items: [], next_cursor: null } } : { status: 401, body: { error: 'unauthorized', error_description: 'invalid credential' } });
    const wrong = await run(['clients', 'list'], { TRUST_BROKER_ADMIN_KEY: 'wrong' });
    expect(wrong.code).toBe(1);
    expect(wrong.err).toContain('unauthorized: invalid credential');
    const right = await run(['--admin-key', 'right', 'clients', 'list']);
    expect(right).toMatchObject({ code: 0, out: '(none)' });
  });

  it('usage mistakes exit 2 without any request', async () => {
    for (const args of [
      ['issuers', 'add', '--issuer', 'https://i'],
      ['issuers', 'add', '--issuer', 'https://i', '--subjects', '*', '--clock-skew', 'soon', '--discovery'],
      ['issuers', 'update', 'abc'],
      ['clients', 'add', '--auth-method', 'magic'],
      ['clients', 'add'],
      ['nonsense'],
      ['token', 'request', '--client-secret', 's'],
      ['token', 'request', '--client-id', 'c', '--client-secret', 's', '--client-key', 'k.json'],
      ['audit', 'tail', '--outcome', 'maybe'],
    ]) {
      const result = await run(args);
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.err).not.toBe('');
    }
    expect(received).toHaveLength(0);
  });

  it('without any admin key it says where to put one, exit 2', async () => {
    const result = await run(['issuers', 'list'], { TRUST_BROKER_ADMIN_KEY: '' });
    expect(result.code).toBe(2);
    expect(result.err).toContain('no admin key');
    expect(received).toHaveLength(0);
  });

  it('reads the admin key from .data/local-secrets.json of the working directory', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'tb-cli-local-'));
    mkdirSync(join(cwd, '.data'));
    writeFileSync(join(cwd, '.data', 'local-secrets.json'), JSON.stringify({ ADMIN_API_KEY: 'from-file' }));
    respond = () => ({ status: 200, body: { items: [], next_cursor: null } });
    expect((await run(['issuers', 'list'], { TRUST_BROKER_ADMIN_KEY: '' }, cwd)).code).toBe(0);
    expect(received[0]!.authorization).toBe('Bearer from-file');
  });

  it('list --json prints the page; --all follows next_cursor', async () => {
    respond = (request) =>
      request.url.includes('cursor=p2')
        ? { status: 200, body: { items: [{ client_id: 'c2' }], next_cursor: null } }
        : { status: 200, body: { items: [{ client_id: 'c1' }], next_cursor: 'p2' } };
    const one = await run(['--json', 'clients', 'list', '--limit', '1']);
    expect(JSON.parse(one.out)).toEqual({ items: [{ client_id: 'c1' }], next_cursor: 'p2' });
    expect(received[0]!.url).toBe('/v1/clients?limit=1');
    const all = await run(['--json', 'clients', 'list', '--all']);
    expect(JSON.parse(all.out).items.map((c: { client_id: string }) => c.client_id)).toEqual(['c1', 'c2']);
    const table = await run(['clients', 'list']);
    expect(table.out).toContain('more: --cursor p2');
  });

  it('clients refresh-tokens lists families; revoke-refresh-tokens sends DELETE and says how many ended', async () => {
    respond = (request) =>
      request.method === 'DELETE'
        ? { status: 200, body: { revoked: 2, family_ids: ['f1', 'f2'] } }
        : { status: 200, body: { items: [{ id: 'f1', client_id: 'c 1', issuer: 'https://idp.example', subject: 'alice', scope: 'read', dpop_bound: true, expires_at: '2030-01-01T00:00:00.000Z' }], next_cursor: null } };
    const listed = await run(['clients', 'refresh-tokens', 'c 1']);
    expect(listed.code).toBe(0);
    expect(listed.out).toContain('f1');
    expect(listed.out).toContain('alice');
    const revoked = await run(['clients', 'revoke-refresh-tokens', 'c 1']);
    expect(revoked).toMatchObject({ code: 0, out: 'revoked 2 refresh-token families' });
    expect(received.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /v1/clients/c%201/refresh-tokens', 'DELETE /v1/clients/c%201/refresh-tokens']);
  });

  it('issuers revoke-refresh-tokens accepts an iss value and finds its id', async () => {
    respond = (request) =>
      request.url.startsWith('/v1/issuers?')
        ? { status: 200, body: { items: [{ id: '5f0c3c1e-0000-4000-8000-000000000001', issuer: 'https://idp.example' }], next_cursor: null } }
        : { status: 200, body: { revoked: 1, family_ids: ['f1'] } };
    const result = await run(['--json', 'issuers', 'revoke-refresh-tokens', 'https://idp.example']);
    expect(JSON.parse(result.out)).toEqual({ revoked: 1, family_ids: ['f1'] });
    expect(received.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /v1/issuers?limit=100', 'DELETE /v1/issuers/5f0c3c1e-0000-4000-8000-000000000001/refresh-tokens']);
  });

  it('issuers show accepts an iss value and finds its id', async () => {
    respond = (request) =>
      request.url.startsWith('/v1/issuers?')
        ? { status: 200, body: { items: [{ id: '5f0c3c1e-0000-4000-8000-000000000001', issuer: 'https://idp.example' }], next_cursor: null } }
        : { status: 200, body: { id: '5f0c3c1e-0000-4000-8000-000000000001', issuer: 'https://idp.example' } };
    const result = await run(['issuers', 'disable', 'https://idp.example']);
    expect(result).toMatchObject({ code: 0, out: 'disabled https://idp.example (5f0c3c1e-0000-4000-8000-000000000001)' });
    expect(received.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /v1/issuers?limit=100', 'PATCH /v1/issuers/5f0c3c1e-0000-4000-8000-000000000001']);
    expect(JSON.parse(received[1]!.body)).toEqual({ status: 'disabled' });
  });

  it('token request with a client key sends one client assertion whose aud is the metadata issuer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tb-cli-key-'));
    const keyFile = join(dir, 'client.json');
    writeFileSync(keyFile, JSON.stringify({ ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }), kid: 'c1' }));
    respond = (request) =>
      request.url === '/.well-known/oauth-authorization-server'
        ? { status: 200, body: { issuer: 'https://broker.example' } }
        : { status: 200, body: { access_token: 'at', token_type: 'Bearer', expires_in: 600, scope: 'read' } };
    const result = await run(['--json', 'token', 'request', '--assertion', 'a.b.c', '--client-id', 'svc', '--client-key', keyFile, '--scope', 'read']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.out)).toMatchObject({ access_token: 'at', token_type: 'Bearer' });
    const tokenRequest = received.find((r) => r.url === '/oauth2/token')!;
    expect(tokenRequest.authorization).toBeUndefined();
    const form = new URLSearchParams(tokenRequest.body);
    expect(form.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer');
    expect(form.get('assertion')).toBe('a.b.c');
    expect(form.get('scope')).toBe('read');
    const claims = JSON.parse(Buffer.from(form.get('client_assertion')!.split('.')[1]!, 'base64url').toString());
    expect(claims).toMatchObject({ iss: 'svc', sub: 'svc', aud: 'https://broker.example' });
  });

  it('token request (client_credentials, basic) prints an OAuth error with its description', async () => {
    respond = () => ({ status: 401, body: { error: 'invalid_client', error_description: 'client authentication failed' } });
    const result = await run(['token', 'request', '--client-id', 'svc', '--client-secret', 's3cret']);
    expect(result.code).toBe(1);
    expect(result.err).toContain('invalid_client: client authentication failed (HTTP 401');
    expect(new URLSearchParams(received[0]!.body).get('grant_type')).toBe('client_credentials');
    expect(received[0]!.authorization).toMatch(/^Basic /);
  });

  it('token exchange sends each --audience and --resource given, repeated in the form (RFC 8693 §2.1)', async () => {
    respond = () => ({ status: 200, body: { access_token: 'at', issued_token_type: 'urn:ietf:params:oauth:token-type:access_token', token_type: 'Bearer', expires_in: 600 } });
    const result = await run([
      'token', 'exchange', '--subject-token', 's.t.j', '--client-id', 'svc', '--client-secret', 's3cret',
      '--audience', 'https://api-a.example', '--audience', 'https://api-b.example', '--resource', 'https://r1.example', '--resource', 'https://r2.example', '--token-only',
    ]);
    expect(result).toMatchObject({ code: 0, out: 'at' });
    const form = new URLSearchParams(received[0]!.body);
    expect(form.getAll('audience')).toEqual(['https://api-a.example', 'https://api-b.example']);
    expect(form.getAll('resource')).toEqual(['https://r1.example', 'https://r2.example']);
    expect(form.get('subject_token')).toBe('s.t.j');
    const one = await run(['token', 'exchange', '--subject-token', 's.t.j', '--client-id', 'svc', '--client-secret', 's3cret', '--audience', 'https://api-a.example']);
    expect(one.code).toBe(0);
    expect(new URLSearchParams(received[1]!.body).getAll('audience')).toEqual(['https://api-a.example']);
    expect(new URLSearchParams(received[1]!.body).has('resource')).toBe(false);
  });

  it('audit verify exits 0 when intact and 1 when broken', async () => {
    respond = () => ({ status: 200, body: { intact: true, checked: 12, broken_at: null, reason: null } });
    expect(await run(['audit', 'verify'])).toMatchObject({ code: 0, out: 'audit chain intact: 12 events checked' });
    respond = () => ({ status: 200, body: { intact: false, checked: 5, broken_at: 4, reason: 'hash mismatch' } });
    const broken = await run(['audit', 'verify']);
    expect(broken.code).toBe(1);
    expect(broken.out).toContain('BROKEN at sequence 4: hash mismatch');
  });

  const ndjson = (...lines: unknown[]) => ({ status: 200, contentType: 'application/x-ndjson', raw: lines.map((line) => `${JSON.stringify(line)}\n`).join('') });
  const progress = (seq: number) => ({ progress: { checked: seq, walked: seq, seq, last: 30 } });
  const fullAnswer = { intact: true, checked: 30, broken_at: null, reason: null, full: true, from: 1, walked: 30, untrusted_records: 0 };

  it('audit verify --full asks for NDJSON, shows progress on stderr (at most every 5 s) and the answer on stdout', async () => {
    respond = () => ndjson(progress(10), progress(20), fullAnswer);
    const result = await run(['audit', 'verify', '--full']);
    expect(result).toMatchObject({ code: 0, out: 'audit chain intact: 30 events checked, full walk of 30 rows' });
    expect(result.err).toMatch(/^verifying: sequence 10 of 30 \(33%\), 10 rows walked, \d+ rows\/s$/);
    const url = new URL(received[0]!.url, baseUrl);
    expect(url.pathname).toBe('/v1/audit/verify');
    expect(Object.fromEntries(url.searchParams)).toEqual({ full: 'true' });
    expect(received[0]!.accept).toMatch(/^application\/x-ndjson/);
  });

  it('audit verify: the incremental answer, --no-progress, --json, untrusted records and a walk that failed midway', async () => {
    const incremental = { ...fullAnswer, full: false, from: 25, walked: 6 };
    respond = () => ndjson(progress(28), incremental);
    const quiet = await run(['audit', 'verify', '--no-progress']);
    expect(quiet).toMatchObject({ code: 0, out: 'audit chain intact: 30 events checked, 6 rows walked from the verified checkpoint at sequence 25', err: '' });
    expect(new URL(received[0]!.url, baseUrl).search).toBe('');
    const json = await run(['--json', 'audit', 'verify']);
    expect(JSON.parse(json.out)).toEqual(incremental);
    expect(JSON.parse(json.err)).toEqual(progress(28));
    respond = () => ndjson({ ...fullAnswer, untrusted_records: 2 });
    expect((await run(['audit', 'verify'])).err).toContain('warning: 2 verification records did not verify');
    respond = () => ndjson(progress(10), { error: 'server_error', error_description: 'the verification failed; see the audit-worker log' });
    const failed = await run(['audit', 'verify', '--no-progress']);
    expect(failed.code).toBe(1);
    expect(failed.err).toContain('server_error: the verification failed; see the audit-worker log');
  });

  it('audit tail passes the filters as query parameters and prints oldest first', async () => {
    respond = () => ({
      status: 200,
      body: {
        items: [
          { id: 'e2', occurred_at: '2030-01-01T00:00:02Z', type: 'token', outcome: 'failure', reason: 'jti_replayed' },
          { id: 'e1', occurred_at: '2030-01-01T00:00:01Z', type: 'token', outcome: 'success', reason: null },
        ],
        next_cursor: null,
      },
    });
    const result = await run(['audit', 'tail', '--type', 'token', '--client-id', 'svc', '--since', '2030-01-01T00:00:00Z', '--limit', '5']);
    expect(result.code).toBe(0);
    const url = new URL(received[0]!.url, baseUrl);
    expect(url.pathname).toBe('/v1/audit/events');
    expect(Object.fromEntries(url.searchParams)).toEqual({ type: 'token', client_id: 'svc', since: '2030-01-01T00:00:00Z', limit: '5' });
    expect(result.out.indexOf('success')).toBeLessThan(result.out.indexOf('jti_replayed'));
  });

  it('a server that does not answer is a connection error, exit 1', async () => {
    const result = await run(['--registry-url', 'http://127.0.0.1:1', 'issuers', 'list']);
    expect(result.code).toBe(1);
    expect(result.err).toContain('cannot reach http://127.0.0.1:1/v1/issuers');
  });

  it('--help exits 0', async () => {
    const result = await run(['--help']);
    expect(result.code).toBe(0);
    expect(result.out).toContain('issuers');
  });
});
