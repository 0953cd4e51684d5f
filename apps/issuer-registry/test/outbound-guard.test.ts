/**
 * With OUTBOUND_ALLOW_PRIVATE_NETWORKS at its default (false): key URLs must be https and
 * fetches never reach loopback, private or link-local addresses, checked on the resolved address.
 */
import { jsonRoute, startLoopbackIdp, type LoopbackIdp } from '@trust-broker/testing';
import { startRegistry, type RegistryHarness } from './support/registry-harness';
import { publicJwk } from './support/test-keys';

let registry: RegistryHarness;
let idp: LoopbackIdp;

beforeAll(async () => {
  idp = await startLoopbackIdp();
  idp.route('/jwks', jsonRoute({ keys: [await publicJwk('private')] }));
  registry = await startRegistry('guard', { OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'false', JWKS_FETCH_TIMEOUT_MS: '2000' });
});

afterAll(async () => {
  await registry?.close();
  await idp?.close();
});

let counter = 0;
async function refreshedStatus(body: Record<string, unknown>) {
  const created = await registry.call('POST', '/v1/issuers', { issuer: `https://guarded-${++counter}.example.com`, subjects: ['*'], ...body });
  expect(created.status).toBe(201);
  const refreshed = await registry.call('POST', `/v1/issuers/${created.body.id}/jwks/refresh`);
  expect(refreshed.status).toBe(200);
  return refreshed.body;
}

describe('outbound guard on', () => {
  it.each([
    ['an http jwks_uri', { jwks_uri: 'http://idp.example.com/jwks' }, 'jwks_uri: must be an https URL'],
    ['an http discovery issuer', { issuer: 'http://idp.example.com', discovery: true }, 'issuer: must be an https URL'],
  ])('refuses %s at registration', async (_label, body, description) => {
    const res = await registry.call('POST', '/v1/issuers', { issuer: 'https://plain.example.com', subjects: ['*'], ...body });
    expect(res.status).toBe(400);
    expect(res.body.error_description).toBe(description);
  });

  it.each([
    ['a loopback IPv4 literal', () => `https://127.0.0.1:${idp.port}/jwks`, /^destination 127\.0\.0\.1 is not allowed$/],
    ['a loopback IPv6 literal', () => `https://[::1]:${idp.port}/jwks`, /^destination ::1 is not allowed$/],
    ['a name that resolves to loopback', () => `https://localhost:${idp.port}/jwks`, /^destination (127\.0\.0\.1|::1) is not allowed$/],
    ['the cloud metadata address', () => 'https://169.254.169.254/latest/meta-data', /^destination 169\.254\.169\.254 is not allowed$/],
    ['a private address', () => 'https://10.0.0.1/jwks', /^destination 10\.0\.0\.1 is not allowed$/],
    ['an IPv4-mapped loopback', () => `https://[::ffff:127.0.0.1]:${idp.port}/jwks`, /^destination ::ffff:7f00:1 is not allowed$/],
  ])('never connects to %s', async (_label, uri, expected) => {
    const hits = idp.hits('/jwks');
    const status = await refreshedStatus({ jwks_uri: uri() });
    expect(status.keys).toEqual([]);
    expect(status.last_error).toMatch(expected);
    expect(idp.hits('/jwks')).toBe(hits);
  });

  it('refuses discovery on a name that resolves to loopback', async () => {
    const status = await refreshedStatus({ issuer: `https://localhost:${idp.port}`, discovery: true });
    expect(status.last_error).toMatch(/^discovery failed \(.*destination (127\.0\.0\.1|::1) is not allowed/);
  });
});
