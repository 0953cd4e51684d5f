/**
 * TRUST_PROXY (CONTRACT.md): X-Forwarded-For is believed only from the reverse proxies it
 * names, and then the client is the rightmost address that is not one of them. What the
 * broker believes shows in two places: the per-address rate limit and the audit events'
 * `remote_addr`. A forged header from anywhere else changes neither.
 */
import { eventually, postFormFrom } from '@trust-broker/testing';
import { startSystem, type System } from './support/system';

const PROXY = '127.0.0.5';
const UNTRUSTED = '127.0.0.6';
const PER_ADDRESS = 3;
let system: System;

beforeAll(async () => {
  system = await startSystem('trustproxy', {
    auditWorker: true,
    tokenEnv: { TRUST_PROXY: `${PROXY},10.0.0.0/8`, RATE_LIMIT_WINDOW_S: '600', RATE_LIMIT_PER_ADDRESS: String(PER_ADDRESS), RATE_LIMIT_PER_CLIENT: '0' },
  });
});

afterAll(async () => {
  await system?.stop();
});

/** A token request that fails client authentication (401), or 429 once its address is over the limit. */
const attempt = (from: string, forwardedFor: string | undefined, marker: string) =>
  postFormFrom(
    from,
    system.tokens[0]!.tokenEndpoint,
    { grant_type: 'client_credentials', client_id: marker, client_secret: 'wrong' },
    forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
  );

async function remoteAddrsOf(clientIdPrefix: string, count: number): Promise<string[]> {
  const events = await eventually(
    async () => {
      const response = await fetch(`${system.audit!.url}/v1/audit/events?type=token&outcome=failure&limit=200`, { headers: { authorization: `Bearer ${system.adminApiKey}` } });
      const { items } = (await response.json()) as { items: { client_id: string | null; remote_addr: string | null }[] };
      const mine = items.filter((event) => event.client_id?.startsWith(clientIdPrefix));
      return mine.length >= count ? mine : undefined;
    },
    30_000,
    250,
  );
  return [...new Set(events.map((event) => event.remote_addr ?? 'null'))].sort();
}

it('a forged X-Forwarded-For from an address that is not a trusted proxy is ignored', async () => {
  for (let i = 0; i < PER_ADDRESS; i++) expect((await attempt(UNTRUSTED, `198.51.100.${i + 1}`, `untrusted-${i}`)).status).toBe(401);
  // A new forged address each time does not buy a new budget: the peer address is counted.
  const limited = await attempt(UNTRUSTED, '198.51.100.99', 'untrusted-over');
  expect(limited.status).toBe(429);
  expect(await remoteAddrsOf('untrusted-', PER_ADDRESS + 1)).toEqual([UNTRUSTED]);
});

it('from a trusted proxy, the rightmost address that is not a trusted proxy is the client', async () => {
  // Each client behind the proxy has its own budget ...
  for (let i = 0; i < PER_ADDRESS; i++) expect((await attempt(PROXY, '203.0.113.1', `proxied-a-${i}`)).status).toBe(401);
  expect((await attempt(PROXY, '203.0.113.1', 'proxied-a-over')).status).toBe(429);
  // ... another client through the same proxy is not limited by the first one ...
  expect((await attempt(PROXY, '203.0.113.2', 'proxied-b')).status).toBe(401);
  // ... a client that forges an entry in front of its own gets its own address counted (over the limit) ...
  expect((await attempt(PROXY, '192.0.2.77, 203.0.113.1', 'proxied-a-forged')).status).toBe(429);
  // ... and hops through further trusted proxies (10.0.0.0/8) are skipped.
  expect((await attempt(PROXY, '203.0.113.3, 10.1.2.3', 'proxied-c')).status).toBe(401);
  expect(await remoteAddrsOf('proxied-', PER_ADDRESS + 4)).toEqual(['203.0.113.1', '203.0.113.2', '203.0.113.3']);
  // The proxy itself has used none of its own budget.
  expect((await attempt(PROXY, undefined, 'the-proxy')).status).toBe(401);
});
