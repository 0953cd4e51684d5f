/**
 * Abuse (SECURITY.md "Rate limits"): the token endpoint counts requests per peer address
 * before any signature check, and per client only once the client authenticated, across
 * replicas (the counters live in Redis); over a limit it answers 429 with Retry-After and
 * a JSON error, audited. Low limits here; the defaults are generous (token-service README).
 */
import { eventually, basicAuthorization, postFormFrom, type CreatedClient, type TokenAnswer } from '@trust-broker/testing';
import { startSystem, type System } from './support/system';

const PER_CLIENT = 5;
const PER_ADDRESS = 12;
const WINDOW_S = 600;
let system: System;
let victim: CreatedClient;

beforeAll(async () => {
  system = await startSystem('ratelimit', {
    tokenServices: 2,
    auditWorker: true,
    tokenEnv: { RATE_LIMIT_WINDOW_S: String(WINDOW_S), RATE_LIMIT_PER_CLIENT: String(PER_CLIENT), RATE_LIMIT_PER_ADDRESS: String(PER_ADDRESS) },
  });
  victim = await system.admin.createClient({ token_endpoint_auth_method: 'client_secret_basic', grant_types: ['client_credentials'] });
});

afterAll(async () => {
  await system?.stop();
});

/** Alternates between the two replicas: the limit is one, shared. */
function endpoint(i: number): string {
  return system.tokens[i % 2]!.tokenEndpoint;
}

function expectRateLimited(answer: TokenAnswer) {
  expect(answer.status).toBe(429);
  expect(answer.body).toEqual({ error: 'temporarily_unavailable', error_description: expect.stringMatching(/too many token requests/) });
  const retryAfter = Number(answer.headers.get('retry-after'));
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(WINDOW_S);
  expect(answer.headers.get('cache-control')).toBe('no-store');
}

it('per client: only authenticated requests count; a wrong secret naming the client uses none of its budget', async () => {
  const asVictim = (from: string, i: number, secret = victim.client_secret!) =>
    postFormFrom(from, endpoint(i), { grant_type: 'client_credentials' }, { authorization: basicAuthorization(victim.client_id, secret) });
  // The trust cache of both replicas knows the new client (CONTRACT.md: within 2 s); these
  // probes come from an address of their own and use none of the victim's budget if refused.
  for (let i = 0; i < 2; i++) await eventually(async () => (await asVictim('127.0.0.9', i, 'wrong-secret')).status === 401, 10_000, 200);
  // An attacker who knows the client_id, from its own address: refused, and the victim's budget untouched.
  for (let i = 0; i < PER_CLIENT + 2; i++) expect((await asVictim('127.0.0.2', i, 'wrong-secret')).status).toBe(401);
  // The victim, from any address: its whole budget, then 429 on both replicas.
  for (let i = 0; i < PER_CLIENT; i++) expect((await asVictim(`127.0.1.${i + 1}`, i)).status).toBe(200);
  for (let i = 0; i < 2; i++) expectRateLimited(await asVictim(`127.0.2.${i + 1}`, i));
});

it('per address: the limit, then 429 for any client; another address goes on', async () => {
  const from = '127.0.0.3';
  const attempt = (i: number, address = from) => postFormFrom(address, endpoint(i), { grant_type: 'client_credentials', client_id: `client-${i}`, client_secret: 'x' });
  for (let i = 0; i < PER_ADDRESS; i++) expect((await attempt(i)).status).toBe(401);
  expectRateLimited(await attempt(PER_ADDRESS));
  expectRateLimited(await postFormFrom(from, endpoint(1), { grant_type: 'client_credentials' }));
  expect((await attempt(0, '127.0.0.4')).status).toBe(401);
});

it('every refusal is one failed token audit event with reason rate_limited; a client refusal names the authenticated client', async () => {
  const auth = { authorization: `Bearer ${system.adminApiKey}` };
  const events = await eventually(async () => {
    const response = await fetch(`${system.audit!.url}/v1/audit/events?type=token&outcome=failure&limit=100`, { headers: auth });
    const { items } = (await response.json()) as { items: Record<string, unknown>[] };
    const limited = items.filter((event) => event.reason === 'rate_limited');
    return limited.length >= 4 ? limited : undefined;
  }, 30_000, 250);
  expect(events).toHaveLength(4);
  expect(events.map((event) => event.error)).toEqual(Array(4).fill('temporarily_unavailable'));
  expect(events.filter((event) => event.client_id === victim.client_id && event.actor === `client:${victim.client_id}`)).toHaveLength(2);
});

it('the refusals are counted at /metrics', async () => {
  const texts = await Promise.all(system.tokens.map(async (token) => (await fetch(`${token.url}/metrics`)).text()));
  const total = texts.reduce((sum, text) => sum + [...text.matchAll(/^token_rate_limited_total\{scope="(?:client|address)"\} (\d+)/gm)].reduce((s, m) => s + Number(m[1]), 0), 0);
  expect(total).toBe(4);
});
