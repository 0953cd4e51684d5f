/**
 * Benchmark (prints figures, asserts nothing): how long from token-service enqueuing an
 * `unknown_kid` key-refresh job to the `issuer_keys` trust change arriving on Redis, i.e.
 * how much of token-service's 2 s wait the registry uses. Also the latency of admin POSTs.
 * Runs the built process (`npm run build` first) against the local Postgres and Redis.
 *   node bench/unknown-kid-latency.js [issuers=30]
 */
const { createServer } = require('node:http');
const { join } = require('node:path');
const { generateKeyPairSync } = require('node:crypto');
const { Queue } = require('bullmq');
const { Redis } = require('ioredis');
const testing = require('@trust-broker/testing');
const { QUEUES, DEFAULT_JOB_OPTIONS, keyRefreshDedupId, prefixed, TRUST_CHANGE_CHANNEL } = require('@trust-broker/contracts');

const ISSUERS = Number(process.argv[2] ?? 30);
const ADMIN = 'bench-admin-key-0123456789abcdefghijklmnopqrstuvwxyz';

/** @param {string} kid */
function jwk(kid) {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' };
}

/**
 * @param {number[]} sorted
 * @param {number} p
 */
function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main() {
  const database = await testing.createTestDatabase('bench');
  const redisPrefix = testing.createTestRedisPrefix('bench');
  /** @type {Map<string, object[]>} */
  const keysByPath = new Map();
  const idp = createServer((req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: keysByPath.get(req.url ?? '') ?? [] })));
  await new Promise((r) => idp.listen(0, '127.0.0.1', () => r(undefined)));
  const idpUrl = `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (idp.address()).port}`;
  const registry = testing.startNodeProcess(join(__dirname, '..', 'dist', 'main.js'), {
    NODE_ENV: 'test', DATABASE_URL: database.url, REDIS_URL: redisPrefix.url, REDIS_PREFIX: redisPrefix.prefix,
    ADMIN_API_KEY: ADMIN, KEY_ENCRYPTION_KEY: testing.randomKeyEncryptionKey(), ISSUER_REGISTRY_PORT: '0',
    OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true', LOG_LEVEL: 'info', // info: the "listening on" line it waits for is logged at info
  });
  const url = await testing.eventually(async () => /listening on (\S+)/.exec(registry.output())?.[1], 60000);
  const subscriber = new Redis(redisPrefix.url);
  /** @type {Map<string, (value?: unknown) => void>} */
  const waiters = new Map();
  subscriber.on('message', (/** @type {string} */ _c, /** @type {string} */ message) => {
    const change = JSON.parse(message);
    const waiter = waiters.get(`${change.entity}:${change.id}:${change.version}`);
    if (waiter) waiter();
  });
  await subscriber.subscribe(prefixed(redisPrefix.prefix, TRUST_CHANGE_CHANNEL));
  const queue = new Queue(QUEUES.keyRefresh, { connection: { url: redisPrefix.url }, prefix: redisPrefix.prefix });

  /** @type {number[]} */
  const postMs = [];
  /** @type {number[]} */
  const refreshMs = [];
  try {
    for (let i = 0; i < ISSUERS; i++) {
      const path = `/p${i}/jwks`;
      keysByPath.set(path, [jwk('old')]);
      const started = performance.now();
      const res = await fetch(`${url}/v1/issuers`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ issuer: `https://bench-${i}.example.com`, subjects: ['*'], jwks_uri: `${idpUrl}${path}` }),
      });
      postMs.push(performance.now() - started);
      const { id } = /** @type {{ id: string }} */ (await res.json());
      // let the registration fetch finish, then rotate and ask as token-service would
      const status = await testing.eventually(async () => {
        const answer = await fetch(`${url}/v1/issuers/${id}/jwks`, { headers: { authorization: `Bearer ${ADMIN}` } });
        const body = /** @type {{ keys: unknown[], version: number }} */ (await answer.json());
        return body.keys.length > 0 ? body : undefined;
      }, 20000);
      keysByPath.set(path, [jwk('old'), jwk('new')]);
      const arrived = new Promise((resolve) => waiters.set(`issuer_keys:${id}:${status.version + 1}`, resolve));
      const asked = performance.now();
      await queue.add('refresh', { party: 'issuer', id, reason: 'unknown_kid', kid: 'new', requested_at: new Date().toISOString() }, { ...DEFAULT_JOB_OPTIONS, deduplication: { id: keyRefreshDedupId('issuer', id) } });
      await arrived;
      refreshMs.push(performance.now() - asked);
    }
    for (const [label, values] of /** @satisfies {[string, number[]][]} */ ([['POST /v1/issuers', postMs], ['unknown_kid job -> issuer_keys trust change', refreshMs]])) {
      const sorted = [...values].sort((a, b) => a - b);
      console.log(`${label}: n=${sorted.length} p50=${percentile(sorted, 50).toFixed(1)} ms p95=${percentile(sorted, 95).toFixed(1)} ms max=${sorted[sorted.length - 1].toFixed(1)} ms`);
    }
  } finally {
    await queue.close();
    subscriber.disconnect();
    await registry.stop();
    idp.close();
    await redisPrefix.clear();
    await database.drop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
