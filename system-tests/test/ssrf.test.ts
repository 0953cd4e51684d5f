/**
 * SSRF (SECURITY.md "Outbound fetches"): with the guard at its default (on), a jwks_uri or
 * a discovery issuer that points at loopback, private, link-local or metadata addresses,
 * or at a name that resolves to one, is refused for its address (the error says so), and
 * not one TCP connection reaches the local listener. URLs are https so that only the
 * address check can refuse them (with the guard on, http is refused for its scheme).
 */
import { createServer, type Server } from 'node:net';
import { startSystem, type System } from './support/system';

let system: System;
let listener: Server;
let port: number;
let connections = 0;

beforeAll(async () => {
  listener = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => listener.listen(0, '0.0.0.0', resolve));
  port = (listener.address() as { port: number }).port;
  system = await startSystem('ssrf', { tokenServices: 0, registryEnv: { OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'false', JWKS_FETCH_TIMEOUT_MS: '2000' } });
});

afterAll(async () => {
  await system?.stop();
  await new Promise<void>((resolve) => listener?.close(() => resolve()));
});

let counter = 0;

/** Registers an issuer with `fields`, forces a refresh, and answers its key status. */
async function keyStatusAfterRefresh(fields: Record<string, unknown>) {
  const created = await system.admin.createIssuer({ issuer: `https://ssrf-${++counter}.example.com`, subjects: ['*'], ...fields });
  await system.admin.request('POST', `/v1/issuers/${created.id}/jwks/refresh`);
  const status = await system.admin.request('GET', `/v1/issuers/${created.id}/jwks`);
  expect(status.status).toBe(200);
  return status.body as { keys: unknown[]; last_error: string | null };
}

const destinations: [label: string, host: () => string, refused: RegExp][] = [
  ['IPv4 loopback', () => `127.0.0.1:${port}`, /destination 127\.0\.0\.1 is not allowed/],
  ['another loopback address', () => `127.1.2.3:${port}`, /destination 127\.1\.2\.3 is not allowed/],
  ['loopback in decimal', () => `2130706433:${port}`, /destination 127\.0\.0\.1 is not allowed/],
  ['loopback in hex', () => `0x7f000001:${port}`, /destination 127\.0\.0\.1 is not allowed/],
  ['0.0.0.0', () => `0.0.0.0:${port}`, /destination 0\.0\.0\.0 is not allowed/],
  ['IPv6 loopback', () => `[::1]:${port}`, /destination ::1 is not allowed/],
  ['IPv4-mapped IPv6 loopback', () => `[::ffff:127.0.0.1]:${port}`, /destination ::ffff:7f00:1 is not allowed/],
  ['localhost (a name that resolves to loopback)', () => `localhost:${port}`, /destination (127\.0\.0\.1|::1) is not allowed/],
  ['cloud metadata 169.254.169.254', () => '169.254.169.254', /destination 169\.254\.169\.254 is not allowed/],
  ['10.0.0.0/8', () => '10.1.2.3', /destination 10\.1\.2\.3 is not allowed/],
  ['172.16.0.0/12', () => '172.20.0.1', /destination 172\.20\.0\.1 is not allowed/],
  ['192.168.0.0/16', () => '192.168.1.1', /destination 192\.168\.1\.1 is not allowed/],
  ['100.64.0.0/10 (shared)', () => '100.64.0.1', /destination 100\.64\.0\.1 is not allowed/],
  ['IPv6 unique local', () => '[fd00::1]', /destination fd00::1 is not allowed/],
  ['IPv6 link-local', () => '[fe80::1]', /destination fe80::1 is not allowed/],
  ['IPv4-mapped metadata address', () => '[::ffff:169.254.169.254]', /destination ::ffff:a9fe:a9fe is not allowed/],
];

describe('jwks_uri', () => {
  it.each(destinations)('%s: refused for its address, no connection', async (_label, host, refused) => {
    const before = connections;
    const status = await keyStatusAfterRefresh({ jwks_uri: `https://${host()}/jwks` });
    expect(status.keys).toEqual([]);
    expect(status.last_error).toMatch(refused);
    expect(connections).toBe(before);
  });
});

describe('discovery', () => {
  it.each(destinations.filter(([label]) => /loopback|metadata|localhost|10\./.test(label)))('%s: refused for its address, no connection', async (_label, host, refused) => {
    const before = connections;
    const status = await keyStatusAfterRefresh({ issuer: `https://${host()}`, discovery: true });
    expect(status.keys).toEqual([]);
    expect(status.last_error).toMatch(refused);
    expect(connections).toBe(before);
  });
});

describe('schemes', () => {
  it.each([
    ['http', { jwks_uri: 'http://idp.example.com/jwks' }, /^jwks_uri: must be an https URL$/],
    ['file', { jwks_uri: 'file:///etc/passwd' }, /^jwks_uri: .*http/],
    ['gopher', { jwks_uri: 'gopher://127.0.0.1:6379/_FLUSHALL' }, /^jwks_uri: .*http/],
    ['credentials in the URL', { jwks_uri: 'https://user:pass@idp.example.com/jwks' }, /credential|https|URL/i],
  ])('%s is refused at registration with a 400 naming the field', async (_label, fields, description) => {
    const answer = await system.admin.request('POST', '/v1/issuers', { issuer: `https://scheme-${++counter}.example.com`, subjects: ['*'], ...fields });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: 'invalid_request', error_description: expect.stringMatching(description) });
  });
});
