/**
 * Faults (SECURITY.md "Dependencies fail"), across the services: token events pile up in
 * the queue, the audit worker is SIGKILLed while draining them, and a new worker finishes
 * the work. Every issued token has exactly one event, and the chain is intact.
 */
import { createHash } from 'node:crypto';
import { Client } from 'pg';
import {
  assertionClaims,
  eventually,
  getFreePort,
  JWT_BEARER_GRANT,
  signAssertion,
  startNodeProcess,
  waitForHttp,
  type RunningProcess,
  postForm,
} from '@trust-broker/testing';
import { registerPartner, untilPartnerTrusted, type Partner } from './support/parties';
import { SCRIPTS, startSystem, type System } from './support/system';

const BROKER = 'https://broker.example.com';
const TOKENS = 400;
/**
 * One event per commit, one commit at a time: the drain of 400 events takes long enough
 * (hundreds of commits) for the kill to land in its middle. With batches of 10 the stream
 * consumer drained them all before the kill on a quiet machine.
 */
const AUDIT_ENV = { AUDIT_BATCH_SIZE: '1', AUDIT_WRITES_IN_FLIGHT: '1', AUDIT_DB_RETRY_MAX_MS: '1000' };
let system: System;
let partner: Partner;
let worker: { process: RunningProcess; url: string } | undefined;
let db: Client;

beforeAll(async () => {
  system = await startSystem('auditkill', { auditWorker: true, auditEnv: AUDIT_ENV, tokenEnv: { BROKER_ISSUER: BROKER } });
  partner = await registerPartner(system.admin);
  await untilPartnerTrusted(system.tokens[0]!.tokenEndpoint, BROKER, partner);
  db = new Client({ connectionString: system.database.url });
  await db.connect();
});

afterAll(async () => {
  await worker?.process.stop();
  await db?.end();
  await system?.stop();
});

async function startWorker(): Promise<{ process: RunningProcess; url: string }> {
  const port = await getFreePort();
  const child = startNodeProcess(SCRIPTS.audit, { ...system.sharedEnv, ...AUDIT_ENV, AUDIT_WORKER_PORT: String(port) });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/readyz`, 120_000);
  return { process: child, url };
}

async function countsByHash(hashes: string[]): Promise<Map<string, number>> {
  const result = await db.query<{ jti_hash: string; n: string }>(
    `SELECT jti_hash, count(*) AS n FROM audit.events WHERE type = 'token' AND jti_hash = ANY($1) GROUP BY jti_hash`,
    [hashes],
  );
  return new Map(result.rows.map((row) => [row.jti_hash, Number(row.n)]));
}

it('a worker killed mid-drain loses nothing and doubles nothing once another takes over', async () => {
  // The queue fills while no worker runs.
  await system.audit!.process.stop();
  const hashes: string[] = [];
  const token = system.tokens[0]!;
  for (let batch = 0; batch < TOKENS / 8; batch++) {
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        const claims = assertionClaims({ iss: partner.iss, sub: 'alice', aud: BROKER });
        const answer = await postForm(token.tokenEndpoint, { grant_type: JWT_BEARER_GRANT, assertion: await signAssertion(partner.key, claims) });
        expect(answer.status).toBe(200);
        hashes.push(createHash('sha256').update(String(claims.jti)).digest('hex'));
      }),
    );
  }

  worker = await startWorker();
  await eventually(async () => (await countsByHash(hashes)).size > 0, 60_000, 20);
  await worker.process.kill('SIGKILL');
  const written = (await countsByHash(hashes)).size;
  console.log(`audit worker killed after writing ${written} of ${TOKENS} token events`);
  expect(written).toBeLessThan(TOKENS);

  worker = await startWorker();
  const counts = await eventually(async () => {
    const current = await countsByHash(hashes);
    return current.size === TOKENS ? current : undefined;
  }, 120_000, 500);
  expect([...counts.values()].filter((n) => n !== 1)).toEqual([]);
  const verify = (await (await fetch(`${worker.url}/v1/audit/verify`, { headers: { authorization: `Bearer ${system.adminApiKey}` } })).json()) as { intact: boolean };
  expect(verify.intact).toBe(true);
});
