/**
 * DATABASE_READ_URL (README "Postgres read replica"): trust reloads read the registry
 * schema through the read URL, not DATABASE_URL. The read URL here is a TCP proxy to the
 * same database that the test cuts: while it is cut, DATABASE_URL still answers, yet a new
 * issuer is not learnt; once it is restored, the issuer is trusted.
 */
import { Client } from 'pg';
import { assertionClaims, eventually, generatePartyKey, jwksOf, JWT_BEARER_GRANT, postForm, signAssertion, type PartyKey, type TcpProxy } from '@trust-broker/testing';
import { useBroker } from './support/use-broker';

const broker = useBroker('readurl', { deferTokenService: true });
let readProxy: TcpProxy;

beforeAll(async () => {
  readProxy = await broker.startDatabaseProxy();
  await broker.startTokenService({ DATABASE_READ_URL: readProxy.wrap(broker.env.database.url), TRUST_RELOAD_INTERVAL_S: '1' });
});

async function registerIssuer(): Promise<{ iss: string; key: PartyKey }> {
  const key = await generatePartyKey('ES256');
  const iss = `https://idp-${Math.random().toString(36).slice(2)}.example`;
  await broker.admin.createIssuer({ issuer: iss, jwks: jwksOf(key), subjects: ['*'] });
  return { iss, key };
}

async function exchange(issuer: { iss: string; key: PartyKey }) {
  return postForm(broker.tokenEndpoint, {
    grant_type: JWT_BEARER_GRANT,
    assertion: await signAssertion(issuer.key, assertionClaims({ iss: issuer.iss, sub: 'alice', aud: broker.issuer })),
  });
}

it('reads trust through DATABASE_READ_URL: a cut read path stops learning, DATABASE_URL alone does not help', async () => {
  const first = await registerIssuer();
  await eventually(async () => (await exchange(first)).status === 200, 20_000, 200);
  // The trust reads hold their own pool, named for them, on the read URL.
  const db = new Client({ connectionString: broker.env.database.url });
  await db.connect();
  try {
    const readers = await db.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'token-service-trust-reads'`, [
      new URL(broker.env.database.url).pathname.slice(1),
    ]);
    expect(readers.rows[0].n).toBeGreaterThan(0);
  } finally {
    await db.end();
  }

  await readProxy.cut();
  const second = await registerIssuer();
  // Message and reconciles (every second) both read through the cut path: for 4 s the issuer stays unknown.
  const until = Date.now() + 4000;
  while (Date.now() < until) {
    const answer = await exchange(second);
    expect([answer.status, answer.body.error]).toEqual([400, 'invalid_grant']);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  // The cache keeps serving what it has, from memory.
  expect((await exchange(first)).status).toBe(200);

  await readProxy.restore();
  await eventually(async () => (await exchange(second)).status === 200, 20_000, 200);
});
