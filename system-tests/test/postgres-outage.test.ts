/**
 * Faults (SECURITY.md "Dependencies fail"): every service reaches Postgres through a TCP
 * proxy the test cuts. Meanwhile the token service keeps issuing for the trust it holds,
 * the registry answers 503 to writes, and the audit events wait in the queue; once
 * Postgres is back the registry writes again and the audit worker drains every event.
 */
import { createHash } from 'node:crypto';
import { Client } from 'pg';
import { assertionClaims, eventually, JWT_BEARER_GRANT, signAssertion, TcpProxy, postForm } from '@trust-broker/testing';
import { registerPartner, untilPartnerTrusted, type Partner } from './support/parties';
import { startSystem, type System } from './support/system';

const BROKER = 'https://broker.example.com';
let proxy: TcpProxy;
let system: System;
let partner: Partner;

beforeAll(async () => {
  proxy = await TcpProxy.start('127.0.0.1', 5432);
  system = await startSystem('pgfault', { databaseUrl: (url) => proxy.wrap(url), auditWorker: true, tokenEnv: { BROKER_ISSUER: BROKER } });
  partner = await registerPartner(system.admin);
  await untilPartnerTrusted(system.tokens[0]!.tokenEndpoint, BROKER, partner);
});

afterAll(async () => {
  await proxy?.restore().catch(() => undefined);
  await system?.stop();
  await proxy?.cut();
});

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

async function exchange() {
  const claims = assertionClaims({ iss: partner.iss, sub: 'alice', aud: BROKER });
  const answer = await postForm(system.tokens[0]!.tokenEndpoint, { grant_type: JWT_BEARER_GRANT, assertion: await signAssertion(partner.key, claims) });
  return { ...answer, jtiHash: sha256(String(claims.jti)) };
}

async function auditedSuccesses(hashes: string[]): Promise<number> {
  const db = new Client({ connectionString: system.database.url });
  await db.connect();
  try {
    const result = await db.query<{ n: string }>(`SELECT count(*) AS n FROM audit.events WHERE type = 'token' AND outcome = 'success' AND jti_hash = ANY($1)`, [hashes]);
    return Number(result.rows[0]!.n);
  } finally {
    await db.end();
  }
}

it('tokens for cached trust, 503 for registry writes, and the audit drains afterwards', async () => {
  await proxy.cut();

  const issued: string[] = [];
  for (let i = 0; i < 20; i++) {
    const answer = await exchange();
    expect({ status: answer.status, tokenType: answer.body.token_type }).toEqual({ status: 200, tokenType: 'Bearer' });
    issued.push(answer.jtiHash);
  }

  const write = await eventually(async () => {
    const answer = await system.admin.request('POST', '/v1/issuers', { issuer: 'https://during-outage.example.com', subjects: ['*'], jwks: { keys: [] } });
    return answer.status >= 500 ? answer : undefined;
  }, 30_000, 250);
  expect(write).toEqual({ status: 503, body: { error: 'temporarily_unavailable', error_description: expect.any(String) } });
  expect(await auditedSuccesses(issued)).toBe(0);

  await proxy.restore();
  await eventually(async () => (await system.admin.request('GET', '/v1/issuers?limit=1')).status === 200, 30_000, 250);
  const created = await eventually(async () => {
    const answer = await system.admin.request('POST', '/v1/issuers', { issuer: 'https://after-outage.example.com', subjects: ['*'], jwks: { keys: [] } });
    return answer.status === 201 ? answer : undefined;
  }, 30_000, 250);
  expect(created.status).toBe(201);
  await eventually(async () => (await auditedSuccesses(issued)) === issued.length, 60_000, 500);
  expect(await auditedSuccesses(issued)).toBe(issued.length);
  const verify = (await (await fetch(`${system.audit!.url}/v1/audit/verify`, { headers: { authorization: `Bearer ${system.adminApiKey}` } })).json()) as { intact: boolean };
  expect(verify.intact).toBe(true);
});
