/**
 * Scale-out (issue 20, CONTRACT.md "any number of token-service processes"): a 6-node
 * Redis Cluster of the test's own (3 primaries, 3 replicas), the registry, the audit
 * worker and three token-service replicas behind one issuer identifier. The token
 * endpoint's conformance cases on each replica; one assertion raced over all three; a
 * revocation and a disabled issuer seen everywhere within 2 s; and a primary killed
 * mid-run: 503 at most while it fails over, every replica serving 5 s later, no replay
 * accepted across it, every answered token audited exactly once on an intact chain; then
 * another primary killed right after an assertion's use, the assertion replayed at every
 * replica all through the failover: never a token (its mark survived on the promoted
 * replica thanks to REDIS_WAIT_REPLICAS, or the replay-loss detection refuses it).
 */
import { createHash, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { AUDIT_STREAM_GROUP, auditStreamKey, auditStreamKeys } from '@trust-broker/contracts';
import { assertionClaims, basicAuthorization, eventually, generatePartyKey, OwnRedisCluster, postForm, signAssertion, type TokenAnswer } from '@trust-broker/testing';
import {
  clientAssertion,
  clientCredentialsForm,
  grantAssertion,
  grantForm,
  registerKeyClient,
  registerPartner,
  untilClientTrusted,
  untilPartnerTrusted,
  type KeyClient,
  type Partner,
} from '../test/support/parties';
import { startSystem, type System, type TokenService } from '../test/support/system';

const BROKER = 'https://broker.scale.example';
const REPLICAS = 3;
/** Propagation bound of CONTRACT.md ("Propagation"). */
const PROPAGATION_MS = 2000;
/** The issue's bound for every replica to serve again after a primary is lost. */
const RECOVERY_MS = 5000;
/** REDIS_WAIT_REPLICAS of the token services (SCALE_WAIT=0 runs the test without WAIT). */
const WAIT_REPLICAS = process.env.SCALE_WAIT ?? '1';

let cluster: OwnRedisCluster;
let system: System;
let partner: Partner;
let keyClient: KeyClient;
let db: Client;

beforeAll(async () => {
  cluster = await OwnRedisCluster.start({ primaries: 3, replicasPerPrimary: 1, nodeTimeoutMs: 1500 });
  system = await startSystem('scale', {
    redisClusterNodes: cluster.seeds,
    tokenServices: REPLICAS,
    auditWorker: true,
    // Every replica is the same authorization server behind a load balancer.
    // The rate limiter counts on the cluster (its script, one key per call) but never refuses here.
    tokenEnv: { BROKER_ISSUER: BROKER, REDIS_WAIT_REPLICAS: WAIT_REPLICAS, RATE_LIMIT_PER_ADDRESS: '10000000', RATE_LIMIT_PER_CLIENT: '10000000' },
    auditEnv: { AUDIT_BATCH_SIZE: '50' },
  });
  partner = await registerPartner(system.admin);
  keyClient = await registerKeyClient(system.admin);
  for (const token of system.tokens) {
    await untilPartnerTrusted(token.tokenEndpoint, BROKER, partner);
    await untilClientTrusted(token.tokenEndpoint, BROKER, keyClient);
  }
  db = new Client({ connectionString: system.database.url });
  await db.connect();
}, 300_000);

afterAll(async () => {
  await db?.end();
  await system?.stop();
  await cluster?.destroy();
});

function replica(index: number): TokenService {
  return system.tokens[index]!;
}

function tally(answers: TokenAnswer[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const answer of answers) {
    const key = `${answer.status} ${String(answer.body.error ?? 'token')}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

it('every service keeps its state in the cluster, under hash-tagged keys', async () => {
  const client = cluster.client();
  try {
    const prefix = system.redis.prefix;
    // The audit streams, one per replay bucket's slot, each read by the worker's consumer group.
    for (const key of auditStreamKeys(prefix)) {
      const groups = (await client.xinfo('GROUPS', key)) as unknown[][];
      expect(groups.map((group) => group[group.indexOf('name') + 1])).toEqual([AUDIT_STREAM_GROUP]);
    }
    // BullMQ's key-refresh queue under {prefix} (one slot).
    expect(await client.exists(`{${prefix}}:key-refresh:meta`)).toBe(1);
    // The revocation sync marker beside its marks, in one slot.
    expect(await client.exists(`{${prefix}:revoked}-sync`)).toBe(1);
  } finally {
    client.disconnect();
  }
});

describe.each([0, 1, 2])('token endpoint conformance at replica %i', (index) => {
  const endpoint = () => replica(index).tokenEndpoint;

  it('issues a Bearer token for a valid grant assertion, not cacheable', async () => {
    const answer = await postForm(endpoint(), grantForm(await grantAssertion(partner, BROKER)));
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ token_type: 'Bearer', access_token: expect.any(String), expires_in: expect.any(Number) });
    expect(answer.headers.get('cache-control')).toBe('no-store');
  });

  it('refuses a grant assertion used at another replica (invalid_grant)', async () => {
    const assertion = await grantAssertion(partner, BROKER);
    expect((await postForm(replica((index + 1) % REPLICAS).tokenEndpoint, grantForm(assertion))).status).toBe(200);
    const again = await postForm(endpoint(), grantForm(assertion));
    expect([again.status, again.body.error]).toEqual([400, 'invalid_grant']);
  });

  it.each([
    ['expired', { exp: Math.floor(Date.now() / 1000) - 600, iat: Math.floor(Date.now() / 1000) - 900 }],
    ['for another audience', { aud: 'https://someone-else.example' }],
  ])('refuses an assertion %s (invalid_grant)', async (_case, overrides) => {
    const answer = await postForm(endpoint(), grantForm(await grantAssertion(partner, BROKER, overrides)));
    expect([answer.status, answer.body.error]).toEqual([400, 'invalid_grant']);
  });

  it('refuses an assertion from an unknown issuer or signed with another key (invalid_grant)', async () => {
    const stranger = await generatePartyKey('ES256');
    const unknownIssuer = await signAssertion(stranger, assertionClaims({ iss: `https://unknown-${randomUUID()}.example`, sub: 'alice', aud: BROKER }));
    const forged = await signAssertion({ ...stranger, kid: partner.key.kid }, assertionClaims({ iss: partner.iss, sub: 'alice', aud: BROKER }));
    for (const assertion of [unknownIssuer, forged]) {
      const answer = await postForm(endpoint(), grantForm(assertion));
      expect([answer.status, answer.body.error]).toEqual([400, 'invalid_grant']);
    }
  });

  it('answers invalid_request without an assertion and unsupported_grant_type for an unknown grant', async () => {
    const missing = await postForm(endpoint(), { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer' });
    expect([missing.status, missing.body.error]).toEqual([400, 'invalid_request']);
    const unknown = await postForm(endpoint(), { grant_type: 'urn:example:unknown' });
    expect([unknown.status, unknown.body.error]).toEqual([400, 'unsupported_grant_type']);
  });

  it('authenticates a private_key_jwt client once per assertion (invalid_client on reuse)', async () => {
    const form = clientCredentialsForm(await clientAssertion(keyClient, BROKER));
    expect((await postForm(endpoint(), form)).status).toBe(200);
    const reused = await postForm(replica((index + 2) % REPLICAS).tokenEndpoint, form);
    expect([reused.status, reused.body.error]).toEqual([401, 'invalid_client']);
  });
});

it('200 concurrent copies of one grant assertion over three replicas: exactly one token', async () => {
  const form = grantForm(await grantAssertion(partner, BROKER));
  const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => postForm(replica(i % REPLICAS).tokenEndpoint, form)));
  const counts = tally(answers);
  // Exactly one token; every other copy refused, or 503 when this 2-core machine is so busy
  // that an audit job misses its 2 s (never a second token).
  expect(counts['200 token']).toBe(1);
  expect((counts['400 invalid_grant'] ?? 0) + (counts['503 temporarily_unavailable'] ?? 0)).toBe(199);
  if (counts['503 temporarily_unavailable']) console.log(`race under load: ${JSON.stringify(counts)}`);
});

it('a token revoked at replica 1 is inactive at replica 3 within 2 s', async () => {
  const client = await system.admin.createClient({
    client_name: 'scale secret client',
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['client_credentials'],
    scope: 'read',
  });
  const authorization = basicAuthorization(client.client_id, client.client_secret!);
  const issued = await eventually(async () => {
    const answer = await postForm(replica(0).tokenEndpoint, { grant_type: 'client_credentials' }, { authorization });
    return answer.status === 200 ? answer : undefined;
  }, 20_000, 200);
  const token = String(issued.body.access_token);
  await eventually(async () => (await postForm(`${replica(2).url}/oauth2/introspect`, { token }, { authorization })).body.active === true, 20_000, 200);

  const revoked = await postForm(`${replica(0).url}/oauth2/revoke`, { token }, { authorization });
  expect(revoked.status).toBe(200);
  const revokedAt = Date.now();
  await eventually(async () => (await postForm(`${replica(2).url}/oauth2/introspect`, { token }, { authorization })).body.active === false, PROPAGATION_MS, 50);
  console.log(`revocation seen at replica 3 after ${Date.now() - revokedAt} ms`);
});

it('an issuer disabled at the registry is refused by every replica within 2 s', async () => {
  const doomed = await registerPartner(system.admin);
  for (const token of system.tokens) await untilPartnerTrusted(token.tokenEndpoint, BROKER, doomed);
  await system.admin.updateIssuer(doomed.record.id, { status: 'disabled' });
  const disabledAt = Date.now();
  await Promise.all(
    system.tokens.map((token) =>
      eventually(async () => {
        const answer = await postForm(token.tokenEndpoint, grantForm(await grantAssertion(doomed, BROKER)));
        return answer.status === 400 && answer.body.error === 'invalid_grant';
      }, PROPAGATION_MS, 50),
    ),
  );
  console.log(`disabled issuer refused everywhere after ${Date.now() - disabledAt} ms`);
});

interface Attempt {
  assertion: string;
  jtiHash: string;
  replica: number;
  sentAt: number;
  answer: TokenAnswer;
}

it('a primary killed mid-run: 503 at most meanwhile, every replica serves 5 s later, no replay, no audit event lost or doubled', async () => {
  const attempts: Attempt[] = [];
  let stop = false;
  let sequence = 0;
  const worker = async () => {
    while (!stop) {
      const index = sequence++ % REPLICAS;
      const claims = assertionClaims({ iss: partner.iss, sub: 'alice', aud: BROKER });
      const assertion = await signAssertion(partner.key, claims);
      const sentAt = Date.now();
      const answer = await postForm(replica(index).tokenEndpoint, grantForm(assertion)).catch(
        (error: Error): TokenAnswer => ({ status: 0, body: { error: error.message }, headers: new Headers() }),
      );
      attempts.push({ assertion, jtiHash: createHash('sha256').update(String(claims.jti)).digest('hex'), replica: index, sentAt, answer });
    }
  };
  const workers = Array.from({ length: 6 }, () => worker());

  // The primary of an audit shard's slot: its stream, its replay bucket and a third of the rest live there.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const victim = await cluster.primaryPortOf(auditStreamKey(system.redis.prefix, 0));
  const killedAt = Date.now();
  await cluster.kill(victim);
  await new Promise((resolve) => setTimeout(resolve, RECOVERY_MS + 3000));
  stop = true;
  await Promise.all(workers);
  console.log(`failover run: ${attempts.length} requests, ${JSON.stringify(tally(attempts.map((a) => a.answer)))}`);

  // Before the kill: a token for every request (nothing on the healthy cluster fails).
  expect(attempts.filter((a) => a.sentAt < killedAt - 500 && a.answer.status !== 200).map((a) => `${a.answer.status} ${JSON.stringify(a.answer.body)}`)).toEqual([]);
  // During the failover: a token or 503, nothing else.
  expect(attempts.filter((a) => a.answer.status !== 200 && a.answer.status !== 503).map((a) => `${a.answer.status} ${JSON.stringify(a.answer.body)}`)).toEqual([]);
  // From 5 s after the kill: every replica answers every request.
  const late = attempts.filter((a) => a.sentAt >= killedAt + RECOVERY_MS);
  expect(new Set(late.map((a) => a.replica)).size).toBe(REPLICAS);
  expect(late.filter((a) => a.answer.status !== 200).map((a) => `replica ${a.replica + 1}: ${a.answer.status}`)).toEqual([]);
  await cluster.untilHealthy();

  // The audit trail: one token event per request answered (200 or 4xx), at most one for a
  // 503 (stored, then not confirmed in time), none doubled; the chain verifies.
  const answered = attempts.filter((a) => a.answer.status !== 503 && a.answer.status !== 0);
  const events = await eventually(async () => {
    const result = await db.query<{ jti_hash: string; outcome: string; n: string }>(
      `SELECT jti_hash, outcome, count(*) AS n FROM audit.events WHERE type = 'token' AND jti_hash = ANY($1) GROUP BY jti_hash, outcome`,
      [attempts.map((a) => a.jtiHash)],
    );
    const byHash = new Map(result.rows.map((row) => [row.jti_hash, row]));
    return answered.every((a) => byHash.has(a.jtiHash)) ? result.rows : undefined;
  }, 60_000, 500);
  expect(events.filter((row) => row.n !== '1')).toEqual([]);
  expect(new Set(events.map((row) => row.jti_hash)).size).toBe(events.length);
  const eventOf = new Map(events.map((row) => [row.jti_hash, row.outcome]));
  expect(answered.filter((a) => eventOf.get(a.jtiHash) !== (a.answer.status === 200 ? 'success' : 'failure')).length).toBe(0);
  const unanswered = attempts.length - answered.length;
  expect(events.length).toBeGreaterThanOrEqual(answered.length);
  expect(events.length).toBeLessThanOrEqual(answered.length + unanswered);
  console.log(`token events: ${events.length} for ${answered.length} requests answered and ${unanswered} answered 503`);

  // No replay across the failover: every assertion that got a token is refused now, at another replica.
  const issued = attempts.filter((a) => a.answer.status === 200);
  const replays: TokenAnswer[] = [];
  for (let i = 0; i < issued.length; i += 20) {
    replays.push(...(await Promise.all(issued.slice(i, i + 20).map((a) => postForm(replica((a.replica + 1) % REPLICAS).tokenEndpoint, grantForm(a.assertion))))));
  }
  expect(tally(replays)).toEqual({ '400 invalid_grant': issued.length });

  await expectChainIntact();
});

async function expectChainIntact(): Promise<void> {
  const verify = await fetch(`${system.audit!.url}/v1/audit/verify`, { headers: { authorization: `Bearer ${system.adminApiKey}` } });
  expect(((await verify.json()) as { intact: boolean }).intact).toBe(true);
}

/** The replay bucket of a `jti` and its epoch key (apps/token-service/src/replay/replay-keys.ts). */
function replayBucketOf(jti: string): { bucket: number; epochKey: string; digest: string } {
  const digest = createHash('sha256').update(jti).digest('hex');
  const bucket = parseInt(digest.slice(0, 2), 16) % 16;
  return { bucket, digest, epochKey: `${system.redis.prefix}:{replay:${bucket}}:epoch` };
}

it('a primary killed (SIGKILL) right after a use: the assertion is never accepted again, during the failover or after', async () => {
  await cluster.untilHealthy();
  // A shard whose primary has a replica now (the run above may have taken one's).
  const nodes = await cluster.nodes();
  const guarded = new Set(nodes.filter((n) => n.role === 'primary' && nodes.some((r) => r.role === 'replica' && r.primaryId === n.id)).map((n) => n.port));
  let chosen: { assertion: string; jti: string; victim: number } | undefined;
  while (!chosen) {
    const claims = assertionClaims({ iss: partner.iss, sub: 'alice', aud: BROKER });
    const victim = await cluster.primaryPortOf(replayBucketOf(String(claims.jti)).epochKey);
    if (guarded.has(victim)) chosen = { assertion: await signAssertion(partner.key, claims), jti: String(claims.jti), victim };
  }
  const { assertion, jti, victim } = chosen;
  const { bucket, digest } = replayBucketOf(jti);
  const jtiHash = digest;

  const used = await postForm(replica(0).tokenEndpoint, grantForm(assertion));
  expect(used.status).toBe(200);
  // No pause: the mark's primary dies with whatever it had not yet passed on.
  await cluster.kill(victim);
  const killedAt = Date.now();

  // The same assertion, at every replica, all through the failover and after it.
  const replays: Array<{ sentAt: number; replica: number; answer: TokenAnswer }> = [];
  while (Date.now() < killedAt + RECOVERY_MS + 2000) {
    const sentAt = Date.now();
    const round = await Promise.all(system.tokens.map((token) => postForm(token.tokenEndpoint, grantForm(assertion))));
    round.forEach((answer, index) => replays.push({ sentAt, replica: index, answer }));
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  console.log(`replays across the failover: ${JSON.stringify(tally(replays.map((r) => r.answer)))}`);
  expect(replays.filter((r) => r.answer.status === 200)).toEqual([]);
  expect(replays.filter((r) => !(r.answer.status === 503 || (r.answer.status === 400 && r.answer.body.error === 'invalid_grant')))).toEqual([]);
  // From 5 s after the kill every replica answers (here: refuses) again, none with a 503.
  const late = replays.filter((r) => r.sentAt >= killedAt + RECOVERY_MS);
  expect(late.length).toBeGreaterThanOrEqual(REPLICAS);
  expect(late.filter((r) => r.answer.status !== 400).map((r) => `replica ${r.replica + 1}: ${r.answer.status}`)).toEqual([]);

  // Why: the promoted replica holds the mark (REDIS_WAIT_REPLICAS=1 put it there before the
  // token was answered), or the replay-loss detection refused it (replay_state_lost).
  await cluster.untilHealthy();
  const promoted = await cluster.primaryPortOf(replayBucketOf(jti).epochKey);
  expect(promoted).not.toBe(victim);
  const marks = await cluster.keysAt(promoted, `${system.redis.prefix}:{replay:${bucket}}:jti:*:${digest}`);
  const reasons = await eventually(async () => {
    const result = await db.query<{ outcome: string; reason: string | null; n: string }>(
      `SELECT outcome, reason, count(*) AS n FROM audit.events WHERE type = 'token' AND jti_hash = $1 GROUP BY outcome, reason`,
      [jtiHash],
    );
    const failures = result.rows.filter((row) => row.outcome === 'failure').reduce((n, row) => n + Number(row.n), 0);
    return failures >= replays.filter((r) => r.answer.status === 400).length ? result.rows : undefined;
  }, 60_000, 500);
  console.log(`mark on the promoted replica: ${marks.length === 1}; audit: ${JSON.stringify(reasons)}`);
  // With WAIT on (this test's default) the mark cannot have been lost.
  if (WAIT_REPLICAS !== '0') expect(marks).toHaveLength(1);
  expect(reasons.filter((row) => row.outcome === 'success')).toEqual([{ outcome: 'success', reason: null, n: '1' }]);
  const refusedFor = new Set(reasons.filter((row) => row.outcome === 'failure').map((row) => row.reason));
  for (const reason of refusedFor) expect(['jti_replayed', 'replay_state_lost', 'replay_store_unavailable']).toContain(reason);
  if (marks.length === 1) expect(refusedFor).toContain('jti_replayed');
  else expect(refusedFor).toContain('replay_state_lost');
  // Every refusal answered is one event; the 503s at most one each.
  const failureEvents = reasons.filter((row) => row.outcome === 'failure').reduce((n, row) => n + Number(row.n), 0);
  expect(failureEvents).toBeLessThanOrEqual(replays.length);
  await expectChainIntact();
});
