/**
 * Scale-out benchmark (issue 20): what a Redis Cluster costs per request.
 *
 * In one run, one after another on the same machine, each with a fresh database and its
 * own Redis:
 *   (1) one token-service replica (TOKEN_SERVICE_WORKERS = cores) on one redis-server;
 *   (2) three token-service replicas (one worker each) on a 6-node Redis Cluster
 *       (3 primaries, 3 replicas) with REDIS_WAIT_REPLICAS=1, as the scale test runs it;
 *   (3) the same three on the same kind of cluster with REDIS_WAIT_REPLICAS=0 (what WAIT
 *       costs; BENCH_SCALE_NO_WAIT=0 skips it).
 * Each runs the registry and the audit worker beside it. Load: the jwt-bearer grant, one
 * fresh ES256 assertion per request (made before the run), closed loop over
 * BENCH_CONNECTIONS keep-alive connections spread evenly over the replicas, BENCH_WARMUP_S
 * of warm-up, then BENCH_DURATION_S measured. Prints throughput, p50/p99, non-200 answers,
 * CPU per request of token-service and of Redis (all nodes), and the load average.
 * Asserts nothing. Every server it starts listens on 127.0.0.1 ports 7000-7199
 * (BENCH_PORTS=from-to moves them): the cluster in the lower half, the rest in the upper.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import testing from '@trust-broker/testing';
import { es256KeyPair, signAssertion } from './support/assertions.mjs';
import { log } from './support/log.mjs';
import { cpuSeconds, machineBusySeconds, processTree } from './support/proc-stats.mjs';
import { migrate, startService } from './support/services.mjs';

const { JWT_BEARER_GRANT, createTestDatabase, getFreePortIn, eventually, randomKeyEncryptionKey, OwnRedisCluster, OwnRedisServer } = testing;

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 12);
const WARMUP_S = Number(process.env.BENCH_WARMUP_S ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 48);
const MAX_RATE = Number(process.env.BENCH_MAX_RATE ?? 2500);
const CORES = availableParallelism();
const [PORT_FROM, PORT_TO] = (process.env.BENCH_PORTS ?? '7000-7199').split('-').map(Number);
const PORT_MIDDLE = PORT_FROM + Math.floor((PORT_TO - PORT_FROM + 1) / 2);
const IDP = 'https://idp.scale-bench.example';
const BROKER = 'https://broker.scale-bench.example';

/**
 * @typedef {import('./support/assertions.mjs').Es256KeyPair} Es256KeyPair
 * @typedef {{ label: string, replicas: number, workers: number, cluster: boolean, wait: number }} Setup
 * @typedef {Record<string, () => number[]>} CpuParts the pids of each part of the system, read when measured
 * @typedef {Awaited<ReturnType<typeof runSetup>>} SetupResult
 */

// ---------- ports ----------

/** Ports for services and the single Redis, in the upper half of the range, none twice. */
function portPicker() {
  /** @type {Set<number>} */
  const taken = new Set();
  return async () => {
    const port = await getFreePortIn(PORT_MIDDLE, PORT_TO, (p) => taken.has(p));
    taken.add(port);
    return port;
  };
}

// ---------- assertions ----------

/** @param {Es256KeyPair} key */
async function grantBody(key) {
  const assertion = await signAssertion(key, { iss: IDP, sub: `user-${randomBytes(3).toString('hex')}`, aud: BROKER });
  return new URLSearchParams({ grant_type: JWT_BEARER_GRANT, assertion, scope: 'read' }).toString();
}

/**
 * @param {Es256KeyPair} key
 * @param {number} count
 * @returns {Promise<string[]>}
 */
async function makeBodies(key, count) {
  const bodies = new Array(count);
  for (let i = 0; i < count; i += 1) bodies[i] = await grantBody(key);
  return bodies;
}

/**
 * Why requests failed: the first few distinct error descriptions, for the report.
 * @type {Map<string, number>}
 */
const failureReasons = new Map();

/**
 * The status of the answer to POST `body`, 0 when none came.
 * @param {http.Agent} agent
 * @param {string} url
 * @param {string} body
 * @returns {Promise<number>}
 */
function postToken(agent, url, body) {
  return new Promise((resolvePost) => {
    const request = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } }, (response) => {
      const status = response.statusCode ?? 0;
      let text = '';
      if (status !== 200) response.on('data', (chunk) => (text += chunk));
      else response.resume();
      response.on('end', () => {
        if (status !== 200) failureReasons.set(`${status} ${text.slice(0, 200)}`, (failureReasons.get(`${status} ${text.slice(0, 200)}`) ?? 0) + 1);
        resolvePost(status);
      });
    });
    request.on('error', (error) => {
      failureReasons.set(`no answer: ${error.message}`, (failureReasons.get(`no answer: ${error.message}`) ?? 0) + 1);
      resolvePost(0);
    });
    request.end(body);
  });
}

// ---------- load ----------

/**
 * Closed loop: CONNECTIONS loops, loop i on replica i % n, each sending the next unused
 * body as soon as its previous answer came. Latency and status counted for requests sent
 * inside the measured window only.
 * @param {string[]} endpoints
 * @param {string[]} bodies
 * @param {CpuParts} cpuParts
 */
async function drive(endpoints, bodies, cpuParts) {
  const agents = endpoints.map(() => new http.Agent({ keepAlive: true, maxSockets: Math.ceil(CONNECTIONS / endpoints.length) }));
  let next = 0;
  let reused = 0;
  const take = () => {
    if (next >= bodies.length) reused += 1;
    return bodies[next++ % bodies.length];
  };
  const started = performance.now();
  const measureFrom = started + WARMUP_S * 1000;
  const end = measureFrom + DURATION_S * 1000;
  /** @type {number[]} */
  const latencies = [];
  /** @type {Record<number, number>} */
  const statuses = {};
  // Set by the snapshot at the end of the warm-up, before the loops end.
  /** @type {Record<string, number>} */
  let cpuBefore;
  let machineBefore = NaN;
  const snapshot = setTimeout(() => {
    cpuBefore = Object.fromEntries(Object.entries(cpuParts).map(([name, pids]) => [name, cpuSeconds(pids())]));
    machineBefore = machineBusySeconds().busy;
  }, WARMUP_S * 1000);
  const loop = async (/** @type {number} */ i) => {
    const agent = agents[i % endpoints.length];
    const url = endpoints[i % endpoints.length];
    while (performance.now() < end) {
      const sentAt = performance.now();
      const status = await postToken(agent, url, take());
      if (sentAt >= measureFrom && sentAt < end) {
        latencies.push(performance.now() - sentAt);
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, (_, i) => loop(i)));
  clearTimeout(snapshot);
  const elapsed = (performance.now() - measureFrom) / 1000;
  const cpu = Object.fromEntries(Object.entries(cpuParts).map(([name, pids]) => [name, cpuSeconds(pids()) - cpuBefore[name]]));
  const machine = (machineBusySeconds().busy - machineBefore) / elapsed;
  for (const agent of agents) agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (/** @type {number} */ q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return { requests: latencies.length, rps: latencies.length / DURATION_S, p50: at(0.5), p99: at(0.99), statuses, reused, cpu, machine, elapsed };
}

// ---------- one setup ----------

/**
 * @param {Setup} setup
 * @param {Es256KeyPair} key
 * @param {() => Promise<number>} nextPort
 */
async function runSetup(setup, key, nextPort) {
  log(`setup: ${setup.label}`);
  const database = await createTestDatabase('scalebench');
  /** @type {import('@trust-broker/testing').OwnRedisCluster | import('@trust-broker/testing').OwnRedisServer | undefined} */
  let redis;
  /** @type {import('@trust-broker/testing').RunningProcess[]} */
  const procs = [];
  try {
    /** @type {Record<string, string>} */
    const env = {
      NODE_ENV: 'production',
      DATABASE_URL: database.url,
      REDIS_PREFIX: 'tb',
      BROKER_ISSUER: BROKER,
      ADMIN_API_KEY: randomBytes(24).toString('base64url'),
      KEY_ENCRYPTION_KEY: randomKeyEncryptionKey(),
      // One client from one address, far above a real one's share: counted, never refused.
      RATE_LIMIT_PER_CLIENT: '10000000',
      RATE_LIMIT_PER_ADDRESS: '10000000',
      LOG_LEVEL: 'warn',
    };
    /** @type {() => number[]} */
    let redisPids;
    if (setup.cluster) {
      const cluster = await OwnRedisCluster.start({ primaries: 3, replicasPerPrimary: 1, portRange: [PORT_FROM, PORT_MIDDLE - 1] });
      redis = cluster;
      env.REDIS_CLUSTER_NODES = cluster.seeds;
      redisPids = () => cluster.pids;
    } else {
      const server = await OwnRedisServer.start({ port: await nextPort() });
      redis = server;
      env.REDIS_URL = server.url;
      redisPids = () => (server.pid ? [server.pid] : []);
    }
    for (const app of ['issuer-registry', 'token-service', 'audit-worker']) await migrate(app, env);
    const registryPort = await nextPort();
    const auditPort = await nextPort();
    procs.push(await startService('issuer-registry', { ...env, ISSUER_REGISTRY_PORT: String(registryPort) }, registryPort));
    const audit = await startService('audit-worker', { ...env, AUDIT_WORKER_PORT: String(auditPort) }, auditPort);
    procs.push(audit);
    /** @type {{ proc: import('@trust-broker/testing').RunningProcess, url: string }[]} */
    const tokens = [];
    for (let i = 0; i < setup.replicas; i += 1) {
      const port = await nextPort();
      const proc = await startService(
        'token-service',
        { ...env, TOKEN_SERVICE_PORT: String(port), TOKEN_SERVICE_WORKERS: String(setup.workers), REDIS_WAIT_REPLICAS: String(setup.wait), NODE_OPTIONS: '--max-old-space-size=192' },
        port,
      );
      procs.push(proc);
      tokens.push({ proc, url: `http://127.0.0.1:${port}/oauth2/token` });
    }
    const admin = await fetch(`http://127.0.0.1:${registryPort}/v1/issuers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${env.ADMIN_API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ issuer: IDP, jwks: { keys: [key.publicJwk] }, allowed_algorithms: ['ES256'], subjects: ['*'], allowed_scopes: ['read'] }),
    });
    if (admin.status !== 201) throw new Error(`registering the issuer: HTTP ${admin.status} ${await admin.text()}`);
    const agent = new http.Agent({ keepAlive: false });
    for (const token of tokens) await eventually(async () => (await postToken(agent, token.url, await grantBody(key))) === 200, 30_000, 200);

    const count = Math.ceil(MAX_RATE * (WARMUP_S + DURATION_S));
    log(`${count} assertions`);
    const bodies = await makeBodies(key, count);
    const parts = {
      'token-service': () => tokens.flatMap((token) => processTree(token.proc.child.pid)),
      redis: redisPids,
      'audit-worker': () => processTree(audit.child.pid),
      'load generator': () => [process.pid],
    };
    failureReasons.clear();
    const loadBefore = loadavg()[0];
    const result = await drive(
      tokens.map((token) => token.url),
      bodies,
      parts,
    );
    const reasons = [...failureReasons.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3);
    for (const [reason, count] of reasons) log(`${setup.label}: ${count} x ${reason}`);
    // BENCH_SHOW_LOGS=1: the last lines token-service logged (warnings and errors), to see what a 503 was.
    if (process.env.BENCH_SHOW_LOGS === '1') for (const token of tokens) log(token.proc.output().split('\n').slice(-15).join('\n'));
    return { ...setup, ...result, loadBefore, loadAfter: loadavg()[0] };
  } finally {
    for (const proc of procs.reverse()) await proc.stop().catch(() => undefined);
    if (redis) await (redis instanceof OwnRedisServer ? redis.stop() : redis.destroy()).catch(() => undefined);
    await database.drop().catch(() => undefined);
  }
}

// ---------- report ----------

/**
 * @param {string[]} header
 * @param {string[][]} rows
 */
function table(header, rows) {
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

/**
 * Answers other than 200, by status (0: no answer), and bodies used twice (their assertion is then refused).
 * @param {SetupResult} r
 */
function nonOk(r) {
  const others = Object.entries(r.statuses).filter(([status]) => status !== '200');
  const count = others.reduce((n, [, c]) => n + c, 0);
  const detail = others.map(([status, c]) => `${status}: ${c}`).join(', ');
  return `${count}${detail ? ` (${detail})` : ''}${r.reused ? `, ${r.reused} reused bodies` : ''}`;
}

/** @param {SetupResult[]} results */
function report(results) {
  const perKilo = (/** @type {number} */ seconds, /** @type {SetupResult} */ r) => ((seconds * 1000) / r.requests).toFixed(2);
  const first = results[0];
  const rows = results.map((r) => [
    r.label,
    r.rps.toFixed(0),
    `${(r.rps / first.rps).toFixed(2)}x`,
    r.p50.toFixed(1),
    r.p99.toFixed(1),
    nonOk(r),
    perKilo(r.cpu['token-service'], r),
    perKilo(r.cpu.redis, r),
    perKilo(r.cpu['audit-worker'], r),
    perKilo(r.cpu['load generator'], r),
    r.machine.toFixed(2),
    `${r.loadBefore.toFixed(2)} / ${r.loadAfter.toFixed(2)}`,
  ]);
  process.stdout.write(
    `\nScale-out, jwt-bearer grant (ES256), ${CONNECTIONS} connections closed loop, ${WARMUP_S} s warm-up + ${DURATION_S} s; ${CORES} cores (${cpus()[0]?.model ?? '?'})\n\n` +
      table(
        ['setup', 'req/s', 'vs (1)', 'p50 ms', 'p99 ms', 'non-200', 'token-service CPU-ms/req', 'Redis CPU-ms/req', 'audit-worker CPU-ms/req', 'load gen CPU-ms/req', 'machine busy (cores)', 'load avg 1 min before / after'],
        rows,
      ) +
      '\n\nCPU-ms/req: CPU seconds the part used in the measured window per request answered, x1000 (Redis: every node).\n',
  );
}

async function main() {
  const key = await es256KeyPair('scale-bench-1');
  const nextPort = portPicker();
  let setups = [
    { label: '(1) 1 replica, one Redis', replicas: 1, workers: CORES, cluster: false, wait: 0 },
    { label: '(2) 3 replicas, 6-node cluster, WAIT 1', replicas: 3, workers: 1, cluster: true, wait: 1 },
  ];
  if (process.env.BENCH_SCALE_NO_WAIT !== '0') setups.push({ label: '(3) 3 replicas, 6-node cluster, WAIT 0', replicas: 3, workers: 1, cluster: true, wait: 0 });
  // BENCH_SCALE_ONLY=2 (a setup's number): that one alone, for a closer look.
  if (process.env.BENCH_SCALE_ONLY) setups = setups.filter((setup) => setup.label.startsWith(`(${process.env.BENCH_SCALE_ONLY})`));
  const results = [];
  for (const setup of setups) {
    results.push(await runSetup(setup, key, nextPort));
    await sleep(1000);
  }
  report(results);
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`${error.stack ?? error}\n`);
    process.exit(1);
  },
);
