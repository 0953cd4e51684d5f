/**
 * Faults (SECURITY.md "Dependencies fail"): the whole system on a redis-server of the
 * test's own (AOF), stopped under load and started again. Meanwhile the token endpoint
 * answers 503 temporarily_unavailable; it recovers without a restart; no token is issued
 * without its replay record and its audit event, and no audit event is lost.
 */
import { createHash } from 'node:crypto';
import { Client } from 'pg';
import { assertionClaims, eventually, JWT_BEARER_GRANT, OwnRedisServer, signAssertion, postForm } from '@trust-broker/testing';
import { registerPartner, untilPartnerTrusted, type Partner } from './support/parties';
import { startSystem, type System } from './support/system';

const BROKER = 'https://broker.example.com';
const CONCURRENCY = 4;
/**
 * A job the audit worker took just as Redis stopped (its reply lost) stays locked until
 * the lock runs out and the next stalled check hands it back: with the 30 s defaults that
 * is up to a minute, the whole wait below. Short ones keep the test about recovery, not
 * about the defaults.
 */
const AUDIT_ENV = { AUDIT_LOCK_DURATION_MS: '5000', AUDIT_STALLED_INTERVAL_MS: '5000' };
let redis: OwnRedisServer;
let system: System;
let partner: Partner;

beforeAll(async () => {
  redis = await OwnRedisServer.start({ persistent: true });
  system = await startSystem('redisfault', { redisUrl: redis.url, auditWorker: true, auditEnv: AUDIT_ENV, tokenEnv: { BROKER_ISSUER: BROKER } });
  partner = await registerPartner(system.admin);
  await untilPartnerTrusted(system.tokens[0]!.tokenEndpoint, BROKER, partner);
});

afterAll(async () => {
  await system?.stop();
  await redis?.destroy();
});

interface Exchange {
  startedAt: number;
  endedAt: number;
  status: number;
  error?: string;
  jti: string;
  assertion: string;
  issued: boolean;
}

async function exchange(): Promise<Exchange> {
  const claims = assertionClaims({ iss: partner.iss, sub: 'alice', aud: BROKER });
  const assertion = await signAssertion(partner.key, claims);
  const startedAt = Date.now();
  const answer = await postForm(system.tokens[0]!.tokenEndpoint, { grant_type: JWT_BEARER_GRANT, assertion }).catch(() => ({ status: 0, body: {} as Record<string, unknown> }));
  return { startedAt, endedAt: Date.now(), status: answer.status, error: answer.body.error as string | undefined, jti: String(claims.jti), assertion, issued: typeof answer.body.access_token === 'string' };
}

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it('503 while Redis is down, recovery without restart, every token with its replay record and audit event', async () => {
  const exchanges: Exchange[] = [];
  let running = true;
  const loops = Array.from({ length: CONCURRENCY }, async () => {
    while (running) exchanges.push(await exchange());
  });

  await sleep(1500);
  const stopping = Date.now();
  await redis.stop();
  const down = Date.now();
  await sleep(3000);
  const restarting = Date.now();
  await redis.resume();
  const up = Date.now();
  const firstAfter = await eventually(async () => exchanges.find((e) => e.startedAt >= up && e.status === 200), 20_000, 20);
  await sleep(1000);
  running = false;
  await Promise.all(loops);

  const before = exchanges.filter((e) => e.endedAt < stopping);
  const during = exchanges.filter((e) => e.startedAt >= down && e.endedAt <= restarting);
  expect(before.filter((e) => e.status === 200).length).toBeGreaterThan(0);
  expect(during.length).toBeGreaterThan(0);
  expect(during.filter((e) => e.status !== 503 || e.error !== 'temporarily_unavailable' || e.issued)).toEqual([]);
  const recoveryMs = firstAfter.endedAt - up;
  console.log(`${exchanges.length} exchanges; ${during.length} while Redis was down, all 503; first token ${recoveryMs} ms after Redis was back`);
  expect(recoveryMs).toBeLessThan(5000);
  // Anything else is 200 or 503: no 500, no other error.
  expect(exchanges.filter((e) => e.status !== 200 && e.status !== 503)).toEqual([]);

  // Every issued token left its replay record (it survived the restart: AOF).
  const issued = exchanges.filter((e) => e.issued);
  for (const e of issued.slice(0, 50)) {
    const again = await postForm(system.tokens[0]!.tokenEndpoint, { grant_type: JWT_BEARER_GRANT, assertion: e.assertion });
    expect({ status: again.status, error: again.body.error }).toEqual({ status: 400, error: 'invalid_grant' });
  }

  // Every issued token has exactly one success event; none was lost, none doubled.
  const db = new Client({ connectionString: system.database.url });
  await db.connect();
  try {
    const issuedHashes = new Set(issued.map((e) => sha256(e.jti)));
    const rows = await eventually(async () => {
      const result = await db.query<{ jti_hash: string; n: string }>(
        `SELECT jti_hash, count(*) AS n FROM audit.events WHERE type = 'token' AND outcome = 'success' GROUP BY jti_hash`,
      );
      const hashes = new Set(result.rows.map((row) => row.jti_hash));
      const missing = [...issuedHashes].filter((hash) => !hashes.has(hash)).length;
      // Thrown, not returned: if the wait runs out, its message says how many are missing.
      if (missing > 0) throw new Error(`${missing} of ${issuedHashes.size} issued tokens have no success event yet`);
      return result.rows;
    }, 60_000, 500);
    expect(rows.filter((row) => Number(row.n) !== 1)).toEqual([]);
    // Beyond the issued tokens, a success event may only come from the one request that
    // proved the partner trusted, or from a request cut off by Redis stopping (its event
    // was stored but the acknowledgement lost, so it answered 503): the audit errs on the
    // side of recording, never of missing.
    const sent = new Map(exchanges.map((e) => [sha256(e.jti), e]));
    const extra = rows.filter((row) => !issuedHashes.has(row.jti_hash));
    expect(extra.filter((row) => !sent.has(row.jti_hash)).length).toBeLessThanOrEqual(1);
    const cutOff = extra.map((row) => sent.get(row.jti_hash)).filter((e): e is Exchange => e !== undefined);
    expect(cutOff.filter((e) => !(e.startedAt <= down && e.endedAt >= stopping))).toEqual([]);
    console.log(`${issuedHashes.size} tokens issued, ${rows.length} success events (${cutOff.length} from requests cut off by the stop)`);
    // Every replay refused above is audited too.
    const replays = await eventually(async () => {
      const result = await db.query<{ n: string }>(`SELECT count(*) AS n FROM audit.events WHERE type = 'token' AND outcome = 'failure' AND reason = 'jti_replayed'`);
      return Number(result.rows[0]!.n) >= Math.min(50, issued.length) ? Number(result.rows[0]!.n) : undefined;
    }, 60_000, 500);
    expect(replays).toBe(Math.min(50, issued.length));
  } finally {
    await db.end();
  }
  const verify = (await (await fetch(`${system.audit!.url}/v1/audit/verify`, { headers: { authorization: `Bearer ${system.adminApiKey}` } })).json()) as { intact: boolean };
  expect(verify.intact).toBe(true);
});
