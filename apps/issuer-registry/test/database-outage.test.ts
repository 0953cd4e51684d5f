/**
 * While Postgres cannot be reached, admin routes answer 503 temporarily_unavailable (never
 * 500) and /readyz says so; once it is back, writes succeed again. The outage is real: the
 * registry reaches the machine's Postgres through a TCP proxy that the test cuts.
 */
import { eventually, TcpProxy } from '@trust-broker/testing';
import { startRegistry, type RegistryHarness } from './support/registry-harness';
import { publicJwk } from './support/test-keys';

let registry: RegistryHarness;
let proxy: TcpProxy;
let jwks: { keys: unknown[] };

beforeAll(async () => {
  proxy = await TcpProxy.start('127.0.0.1', 5432);
  registry = await startRegistry('outage', {}, { databasePort: proxy.port });
  jwks = { keys: [await publicJwk('outage')] };
});

afterAll(async () => {
  await registry?.close();
  await proxy?.cut().catch(() => undefined);
});

it('answers 503 while Postgres is down and recovers after', async () => {
  const created = await registry.call('POST', '/v1/issuers', { issuer: 'https://before.example.com', subjects: ['*'], jwks });
  expect(created.status).toBe(201);

  await proxy.cut();
  const attempts: [string, string, unknown][] = [
    ['POST', '/v1/issuers', { issuer: 'https://during.example.com', subjects: ['*'], jwks }],
    ['PATCH', `/v1/issuers/${created.body.id}`, { display_name: 'x' }],
    ['DELETE', `/v1/issuers/${created.body.id}`, undefined],
    ['POST', '/v1/clients', { jwks }],
    ['GET', '/v1/issuers', undefined],
    ['GET', `/v1/issuers/${created.body.id}/jwks`, undefined],
  ];
  for (const [method, path, body] of attempts) {
    const res = await registry.call(method, path, body);
    expect([method, path, res.status, res.body.error]).toEqual([method, path, 503, 'temporarily_unavailable']);
    expect(res.headers.get('retry-after')).toBe('1');
  }
  const ready = await fetch(`${registry.url}/readyz`);
  expect(ready.status).toBe(503);
  expect(((await ready.json()) as { checks: Record<string, string> }).checks.postgres).toMatch(/^down/);
  expect((await fetch(`${registry.url}/healthz`)).status).toBe(200);

  await proxy.restore();
  const after = await eventually(async () => {
    const res = await registry.call('POST', '/v1/issuers', { issuer: 'https://after.example.com', subjects: ['*'], jwks });
    return res.status === 201 ? res : undefined;
  }, 15000, 250);
  expect(after.body.issuer).toBe('https://after.example.com');
  expect((await registry.call('GET', `/v1/issuers/${created.body.id}`)).body.display_name).toBe('https://before.example.com');
  expect((await fetch(`${registry.url}/readyz`)).status).toBe(200);
});
