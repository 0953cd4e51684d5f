/**
 * While Redis cannot be reached, admin changes still commit (answering at once) and wait in
 * the outbox; once Redis is back, the relay delivers their trust changes and audit events.
 * The outage is real: the registry reaches the machine's Redis through a TCP proxy the test cuts.
 */
import { eventually, TcpProxy } from '@trust-broker/testing';
import { readAuditEvents } from './support/audit-queue-reader';
import { startRegistry, type RegistryHarness } from './support/registry-harness';
import { publicJwk } from './support/test-keys';
import { listenForTrustChanges, type TrustChangeListener } from './support/trust-change-listener';

let registry: RegistryHarness;
let proxy: TcpProxy;
let changes: TrustChangeListener;

beforeAll(async () => {
  proxy = await TcpProxy.start('127.0.0.1', 6379);
  registry = await startRegistry('redis-outage', {}, { redisPort: proxy.port });
  changes = await listenForTrustChanges(registry.redis.prefix);
});

afterAll(async () => {
  await changes?.close();
  await registry?.close();
  await proxy?.cut().catch(() => undefined);
});

it('keeps admin writes working and delivers the outbox after Redis returns', async () => {
  await proxy.cut();
  const inline = await registry.call('POST', '/v1/issuers', { issuer: 'https://while-down.example.com', subjects: ['*'], jwks: { keys: [await publicJwk('d')] } });
  expect(inline.status).toBe(201);
  // a remote source enqueues a fetch: the admin answer must not wait for Redis
  const remote = await registry.call('POST', '/v1/issuers', { issuer: 'https://remote-while-down.example.com', subjects: ['*'], jwks_uri: 'http://127.0.0.1:1/jwks' });
  expect(remote.status).toBe(201);
  const client = await registry.call('POST', '/v1/clients', { client_id: 'while-down', token_endpoint_auth_method: 'client_secret_basic' });
  expect(client.status).toBe(201);

  const ready = await fetch(`${registry.url}/readyz`);
  expect(ready.status).toBe(503);
  expect(((await ready.json()) as { checks: Record<string, string> }).checks.redis).toMatch(/^down/);
  expect(Number((await registry.sql<{ n: string }>(`SELECT count(*) AS n FROM registry.outbox`))[0]!.n)).toBeGreaterThanOrEqual(7);
  expect(changes.messages.filter((m) => m.id === inline.body.id)).toEqual([]);

  await proxy.restore();
  await eventually(async () => changes.messages.some((m) => m.entity === 'issuer' && m.id === inline.body.id), 20000, 200);
  await eventually(async () => changes.messages.some((m) => m.entity === 'client' && m.id === 'while-down'), 20000, 200);
  await eventually(async () => (await readAuditEvents(registry.redis.prefix)).filter((a) => a.event.action === 'created').length === 3, 20000, 200);
  await eventually(async () => (await registry.sql(`SELECT 1 FROM registry.outbox`)).length === 0, 20000, 200);
  await eventually(async () => (await fetch(`${registry.url}/readyz`)).status === 200, 20000, 200);
});
