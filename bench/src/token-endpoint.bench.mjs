#!/usr/bin/env node
/**
 * Issue 7: the token endpoint under load beside node-oidc-provider. Prints figures and
 * asserts nothing (not a test). One run:
 *  1. fresh database and Redis prefix; migrations; issuer-registry, audit-worker and
 *     token-service as real processes (token-service with TOKEN_SERVICE_WORKERS);
 *  2. through the admin API: one trusted issuer (ES256, inline jwks), the same key under a
 *     second issuer with refresh_tokens, one private_key_jwt client (ES256) allowed the grants;
 *  3. the crypto-bound limit: ES256 verify + sign per second on one core, jose and node:crypto;
 *  4. workloads (a) jwt-bearer, (e) RFC 8693 token exchange of the same issuer's JWT (no
 *     client: what a CI job does), (b) client_credentials + private_key_jwt, (c) both, each
 *     with single-use assertions generated before it, (d) refresh_token + private_key_jwt
 *     (the rotated tokens circulating); then oidc-provider doing (b);
 *  5. 9,999 more trusted issuers inserted into the registry tables, token-service
 *     restarted, (a) again;
 *  6. the table, ratios to oidc-provider and fractions of the crypto limit.
 *
 *   npm run bench -w @trust-broker/bench          (or: node bench/src/token-endpoint.bench.mjs)
 *   BENCH_DURATION_S=12 BENCH_CONNECTIONS=64 BENCH_WORKERS=2 to change the load;
 *   BENCH_EXTRA_ISSUERS=0 skips step 5; BENCH_ONLY_AE=1 stops after (a) and (e) (printed on stderr, no table).
 */
import { createPrivateKey, createPublicKey, randomBytes, sign as cryptoSign, verify as cryptoVerify } from 'node:crypto';
import http from 'node:http';
import { availableParallelism, cpus } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { jwtVerify, SignJWT } from 'jose';
import pg from 'pg';
import contracts from '@trust-broker/contracts';
import testing from '@trust-broker/testing';
import { es256KeyPair, signAssertion } from './support/assertions.mjs';
import { log } from './support/log.mjs';
import { cpuSeconds, machineBusySeconds, pidsNamed, processTree, rssOfTree } from './support/proc-stats.mjs';
import { migrate, startService } from './support/services.mjs';
import { summaryLines } from './summary.mjs';

const { AUDIT_STREAM_GROUP, auditDeadLetterKey, auditStreamKeys } = contracts;

const { CLIENT_ASSERTION_TYPE, JWT_BEARER_GRANT, TOKEN_EXCHANGE_GRANT, TOKEN_TYPES, createTestDatabase, createTestRedisPrefix, getFreePort, eventually, startNodeProcess, randomKeyEncryptionKey } = testing;

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 12);
const WARMUP_S = Number(process.env.BENCH_WARMUP_S ?? 3);
const FRESH_WARMUP_S = Number(process.env.BENCH_FRESH_WARMUP_S ?? 7);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const WORKERS = process.env.BENCH_WORKERS ?? String(availableParallelism());
const EXTRA_ISSUERS = Number(process.env.BENCH_EXTRA_ISSUERS ?? 9999);
/** Upper bound of the request rate we expect, to size the single-use assertions. */
const MAX_RATE = Number(process.env.BENCH_MAX_RATE ?? 4000);
/**
 * Offered load of the latency runs ((a) on ours, (b) on oidc-provider): a fixed request rate
 * below both servers' capacity, so that p50/p99 show the time a request takes rather than
 * the queue 64 connections build in front of a saturated server. 0 skips them.
 */
const LATENCY_RATE = Number(process.env.BENCH_LATENCY_RATE ?? 400);

const IDP = 'https://idp.bench.example';
/** The same partner's key under a second issuer that allows refresh tokens, for workload (d). */
const IDP_REFRESH = 'https://idp-refresh.bench.example';
const RESOURCE = 'https://api.bench.example';
const CLIENT_ID = 'bench-client';

/**
 * @typedef {import('./support/assertions.mjs').Es256KeyPair} Es256KeyPair
 * @typedef {import('@trust-broker/testing').RunningProcess} RunningProcess
 * @typedef {{ idp: Es256KeyPair, client: Es256KeyPair, oidcSigning: Es256KeyPair }} Keys
 * @typedef {{ url: string, audience: string }} Target a token endpoint and the audience of its assertions
 * @typedef {Record<string, () => number[]>} Parts the pids of each part of the system, read when measured
 * @typedef {{ machine: number, steal: number, [part: string]: number }} CpuShares cores used by each part, the machine's busy and stolen
 * @typedef {{ rps: number, total: number, p50: number, p99: number, non2xx: number, exhausted?: number, brokenChains?: number,
 *   generatorLag?: { p99: number, max: number } }} LoadResult what one load run measured
 * @typedef {{ rssSumPeak: number, rssPerProcessPeak: number, processes: number, queuePeak: number }} Samples
 * @typedef {{ redis: Redis, prefix: string }} AuditStreams the audit streams of the run's prefix (read for the backlog)
 * @typedef {LoadResult & Samples & { label: string, cpu: CpuShares }} Measured
 * @typedef {Measured & { kind: string }} WorkloadRun a measured workload and its kind, (a) to (e)
 * @typedef {{ access_token: string, refresh_token?: string }} TokenAnswer the parts of a 200 token answer read here
 */

// ---------- CPU ----------

/**
 * Where the CPU went during `work`: cores used by each part of the system.
 * @template {object} T
 * @param {Parts} parts
 * @param {() => Promise<T>} work
 * @returns {Promise<T & { cpu: CpuShares }>}
 */
async function withCpuShares(parts, work) {
  const before = Object.fromEntries(Object.entries(parts).map(([name, pids]) => [name, cpuSeconds(pids())]));
  const machineBefore = machineBusySeconds();
  const started = performance.now();
  const result = await work();
  const elapsed = (performance.now() - started) / 1000;
  // Processes that ended meanwhile (postgres backends) drop out: never below zero.
  const shares = Object.fromEntries(Object.entries(parts).map(([name, pids]) => [name, Math.max(0, cpuSeconds(pids()) - before[name]) / elapsed]));
  const machineAfter = machineBusySeconds();
  const cpu = {
    ...shares,
    machine: (machineAfter.busy - machineBefore.busy) / elapsed,
    // Cores' worth of time the VM wanted but the host ran something else: a noisy run shows here.
    steal: (machineAfter.steal - machineBefore.steal) / elapsed,
  };
  return { ...result, cpu };
}

// ---------- keys and assertions ----------

/** @type {(keys: Keys, audience: string, iss?: string) => Promise<string>} */
const grantAssertion = (keys, audience, iss = IDP) => signAssertion(keys.idp, { iss, sub: `user-${randomBytes(3).toString('hex')}`, aud: audience });
/** @type {(keys: Keys, audience: string) => Promise<string>} */
const clientAssertion = (keys, audience) => signAssertion(keys.client, { iss: CLIENT_ID, sub: CLIENT_ID, aud: audience });

const form = (/** @type {Record<string, string>} */ params) => new URLSearchParams(params).toString();

/**
 * Request bodies of one workload, each with fresh single-use assertions.
 * @param {string} kind 'a', 'b', 'c' or 'e'
 * @param {number} count
 * @param {Keys} keys
 * @param {string} audience
 * @param {string[]} [issuers]
 * @returns {Promise<string[]>}
 */
async function makeBodies(kind, count, keys, audience, issuers = [IDP]) {
  const bodies = new Array(count);
  for (let i = 0; i < count; i += 1) {
    /** @type {Record<string, string>} */
    const params = {};
    if (kind === 'a' || kind === 'c') Object.assign(params, { grant_type: JWT_BEARER_GRANT, assertion: await grantAssertion(keys, audience, issuers[i % issuers.length]) });
    // The issuer's accepted_audiences default to [BROKER_ISSUER]: the same token shape as (a)'s.
    if (kind === 'e') Object.assign(params, { grant_type: TOKEN_EXCHANGE_GRANT, subject_token: await grantAssertion(keys, audience, issuers[i % issuers.length]), subject_token_type: TOKEN_TYPES.jwt });
    if (kind === 'b') params.grant_type = 'client_credentials';
    if (kind === 'b' || kind === 'c') Object.assign(params, { client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: await clientAssertion(keys, audience) });
    params.scope = 'read';
    bodies[i] = form(params);
  }
  return bodies;
}

// ---------- load ----------

/**
 * Workload (d): the refresh_token grant with private_key_jwt. The refresh tokens circulate
 * as clients use them: a request takes a current token (with a fresh client assertion) out
 * of `tokens`, its answer puts the rotated one back; a non-200 loses its chain. Each token
 * is in one request at a time (autocannon resets a connection's context after each request
 * when it has one request, so the tokens are held here), and every request is one rotation,
 * one Postgres transaction.
 * @param {string} url
 * @param {string[]} assertions
 * @param {string[]} tokens
 * @param {number} durationS
 * @returns {Promise<LoadResult>}
 */
async function driveRefresh(url, assertions, tokens, durationS) {
  const source = bodySource(assertions);
  let broken = 0;
  const result = await closedLoop(
    url,
    durationS,
    () => form({ grant_type: 'refresh_token', refresh_token: tokens.pop() ?? '', client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: source.take() }),
    (status, body) => {
      if (status === 200) tokens.push(JSON.parse(body).refresh_token);
      else broken += 1;
    },
  );
  return { ...result, exhausted: source.reused(), brokenChains: broken };
}

/**
 * Starts `count` refresh-token families (jwt-bearer grants of IDP_REFRESH with private_key_jwt), `parallel` at a time.
 * @param {string} url
 * @param {Keys} keys
 * @param {string} audience
 * @param {number} count
 * @param {number} [parallel]
 */
async function refreshSeeds(url, keys, audience, count, parallel = 16) {
  const bodies = await Promise.all(
    Array.from({ length: count }, async () =>
      form({ grant_type: JWT_BEARER_GRANT, assertion: await grantAssertion(keys, audience, IDP_REFRESH), client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: await clientAssertion(keys, audience), scope: 'read' }),
    ),
  );
  /** @type {string[]} */
  const seeds = [];
  for (let i = 0; i < bodies.length; i += parallel) {
    const answers = await Promise.all(bodies.slice(i, i + parallel).map((body) => postToken(url, body)));
    for (const answer of answers) {
      if (answer.status !== 200 || typeof answer.json?.refresh_token !== 'string') throw new Error(`seeding refresh tokens: ${answer.status} ${JSON.stringify(answer.json)}`);
      seeds.push(answer.json.refresh_token);
    }
  }
  return seeds;
}

/**
 * @param {string} label
 * @param {Target} target
 * @param {Keys} keys
 * @param {RunningProcess} tokenProc
 * @param {AuditStreams} auditStreams
 * @param {Parts} parts
 */
async function runRefreshWorkload(label, target, keys, tokenProc, auditStreams, parts) {
  const count = bodiesFor(DURATION_S);
  const warmCount = bodiesFor(WARMUP_S);
  log(`${label}: generating ${count + warmCount} client assertions and ${4 * CONNECTIONS} refresh-token families (twice the connections, for each run)`);
  const makeAssertions = async (/** @type {number} */ n) => Promise.all(Array.from({ length: n }, () => clientAssertion(keys, target.audience)));
  const warm = await makeAssertions(warmCount);
  const assertions = await makeAssertions(count);
  const warmSeeds = await refreshSeeds(target.url, keys, target.audience, 2 * CONNECTIONS);
  const seeds = await refreshSeeds(target.url, keys, target.audience, 2 * CONNECTIONS);
  await driveRefresh(target.url, warm, warmSeeds, WARMUP_S);
  return measureWorkload(label, `at ${CONNECTIONS} connections`, () => driveRefresh(target.url, assertions, seeds, DURATION_S), { tokenProc, auditStreams, parts });
}

/**
 * Hands out `bodies` in order, each once; past the end it starts over and counts the reused
 * ones (their single-use assertions then fail: they show as non-2xx and "reused bodies").
 * @param {string[]} bodies
 */
function bodySource(bodies) {
  let next = 0;
  return {
    take: () => bodies[next++ % bodies.length],
    reused: () => Math.max(0, next - bodies.length),
  };
}

/**
 * autocannon's closed loop: CONNECTIONS connections for `durationS`, each sending the next
 * body as soon as its previous answer came; `onResponse`, when given, sees every answer.
 * @param {string} url
 * @param {number} durationS
 * @param {() => string} nextBody
 * @param {(status: number, body: string) => void} [onResponse]
 * @returns {Promise<LoadResult>}
 */
async function closedLoop(url, durationS, nextBody, onResponse) {
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: durationS,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        setupRequest: (request) => {
          request.body = nextBody();
          return request;
        },
        onResponse,
      },
    ],
  });
  return {
    rps: result.requests.average,
    total: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx + result.errors + result.timeouts,
  };
}

/**
 * The closed loop over `bodies`, each sent once.
 * @param {string} url
 * @param {string[]} bodies
 * @param {number} durationS
 * @returns {Promise<LoadResult>}
 */
async function drive(url, bodies, durationS) {
  const source = bodySource(bodies);
  return { ...(await closedLoop(url, durationS, source.take)), exhausted: source.reused() };
}

/**
 * Open-loop load at a fixed rate: one request every 1/rate s whatever the answers do, on
 * keep-alive sockets (as many as needed), each request's latency measured from the moment
 * it was due, not from when it was sent (no coordinated omission). autocannon's own rate
 * mode releases each connection's quota for the second at once, so with 64 connections it
 * measures its own bursts (a server that answers in 0.1 ms shows a p99 of 87 ms there).
 * The schedule is checked every millisecond: up to ~1 ms of each latency is this timer.
 * @param {string} url
 * @param {string[]} bodies
 * @param {number} durationS
 * @param {number} rate
 * @returns {Promise<LoadResult>}
 */
async function driveAtRate(url, bodies, durationS, rate) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const target = new URL(url);
  /** @type {number[]} */
  const latencies = [];
  const source = bodySource(bodies);
  let non2xx = 0;
  /** @type {(dueAt: number) => Promise<void>} */
  const send = (dueAt) =>
    new Promise((resolveRequest) => {
      const body = source.take();
      let settled = false;
      // A socket that fails mid-answer can report on both the request and the response: count once.
      const done = (/** @type {boolean} */ ok) => {
        if (settled) return;
        settled = true;
        if (!ok) non2xx += 1;
        latencies.push(performance.now() - dueAt);
        resolveRequest();
      };
      const request = http.request(
        { agent, host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } },
        (response) => {
          response.resume();
          const status = response.statusCode ?? 0;
          response.on('end', () => done(status >= 200 && status < 300));
          response.on('error', () => done(false));
        },
      );
      request.on('error', () => done(false));
      request.end(body);
    });
  // The generator's own stalls (its GC, the samplers) delay sends and show as latency: measured.
  const ownLag = monitorEventLoopDelay({ resolution: 1 });
  ownLag.enable();
  const start = performance.now();
  const total = Math.floor(rate * durationS);
  /** @type {Promise<void>[]} */
  const pending = [];
  let sent = 0;
  /** @type {Promise<void>} */
  const schedule = new Promise((resolveSchedule) => {
    const timer = setInterval(() => {
      const now = performance.now();
      for (let dueAt = start + (sent * 1000) / rate; sent < total && dueAt <= now; dueAt = start + (sent * 1000) / rate) {
        pending.push(send(dueAt));
        sent += 1;
      }
      if (sent >= total) {
        clearInterval(timer);
        resolveSchedule();
      }
    }, 1);
  });
  await schedule;
  await Promise.all(pending);
  ownLag.disable();
  const elapsedS = (performance.now() - start) / 1000;
  agent.destroy();
  latencies.sort((x, y) => x - y);
  const at = (/** @type {number} */ q) => Math.round(10 * latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]) / 10;
  return {
    rps: latencies.length / elapsedS,
    total: latencies.length,
    p50: at(0.5),
    p99: at(0.99),
    non2xx,
    exhausted: source.reused(),
    generatorLag: { p99: ownLag.percentile(99) / 1e6, max: ownLag.max / 1e6 },
  };
}

/**
 * Samples token-service RSS and the audit backlog (the streams) while `work` runs.
 * @template {object} T
 * @param {RunningProcess | undefined} tokenProc
 * @param {AuditStreams} auditStreams
 * @param {() => Promise<T>} work
 * @returns {Promise<T & Samples>}
 */
async function withSampling(tokenProc, auditStreams, work) {
  /** @type {Samples} */
  const samples = { rssSumPeak: 0, rssPerProcessPeak: 0, processes: 0, queuePeak: 0 };
  let running = true;
  const sampler = (async () => {
    while (running) {
      if (tokenProc) {
        const tree = rssOfTree(tokenProc.child.pid);
        samples.processes = tree.length;
        samples.rssSumPeak = Math.max(samples.rssSumPeak, tree.reduce((s, p) => s + p.mb, 0));
        samples.rssPerProcessPeak = Math.max(samples.rssPerProcessPeak, ...tree.map((p) => p.mb));
      }
      samples.queuePeak = Math.max(samples.queuePeak, await queueDepth(auditStreams));
      await sleep(500);
    }
  })();
  try {
    const result = await work();
    return { ...result, ...samples };
  } finally {
    running = false;
    await sampler;
  }
}

/**
 * The audit backlog on the streams: entries not yet acknowledged (audit-worker deletes an
 * entry once its events are committed, so XLEN is what is waiting plus what is held).
 * @param {AuditStreams} streams
 */
async function queueDepth(streams) {
  return (await auditBacklog(streams)).entries;
}

/**
 * Sums over the shards: XLEN, and the consumer group's pending (read, not acknowledged) and lag (not read yet).
 * @param {AuditStreams} streams
 * @returns {Promise<{ entries: number, pending: number, lag: number }>}
 */
async function auditBacklog({ redis, prefix }) {
  const pipeline = redis.pipeline();
  for (const key of auditStreamKeys(prefix)) pipeline.xlen(key).xinfo('GROUPS', key);
  const replies = (await pipeline.exec()) ?? [];
  const backlog = { entries: 0, pending: 0, lag: 0 };
  for (let i = 0; i + 1 < replies.length; i += 2) {
    backlog.entries += Number(replies[i]?.[1] ?? 0);
    // No stream yet (nothing sent, no worker started): XINFO answers an error.
    const [error, groups] = replies[i + 1] ?? [null, []];
    for (const group of error ? [] : /** @type {unknown[][]} */ (groups)) {
      /** @param {string} name */
      const field = (name) => group[group.indexOf(name) + 1];
      if (field('name') !== AUDIT_STREAM_GROUP) continue;
      backlog.pending += Number(field('pending') ?? 0);
      backlog.lag += Number(field('lag') ?? 0);
    }
  }
  return backlog;
}

/** Single-use request bodies for `seconds` of load at `perSecond` (the fastest rate expected), one second spare. */
/** @type {(seconds: number, perSecond?: number) => number} */
const bodiesFor = (seconds, perSecond = MAX_RATE) => Math.ceil(perSecond * (seconds + 1));

/**
 * The measured part of every workload: DURATION_S of `load` with the CPU shares and the
 * samplers around it, then one line of its figures.
 * @param {string} label
 * @param {string} how
 * @param {() => Promise<LoadResult>} load
 * @param {{ tokenProc: RunningProcess, auditStreams: AuditStreams, parts: Parts }} sampled
 * @returns {Promise<Measured>}
 */
async function measureWorkload(label, how, load, { tokenProc, auditStreams, parts }) {
  log(`${label}: ${DURATION_S} s ${how}`);
  const result = await withCpuShares(parts, () => withSampling(tokenProc, auditStreams, load));
  const cpu = Object.entries(result.cpu).map(([name, cores]) => `${name} ${cores.toFixed(2)}`).join(', ');
  const lag = result.generatorLag ? ` (load generator's own event-loop delay p99 ${result.generatorLag.p99.toFixed(1)} ms, max ${result.generatorLag.max.toFixed(1)} ms)` : '';
  const chains = result.brokenChains === undefined ? '' : ` (chains broken ${result.brokenChains})`;
  log(`${label}: ${result.rps.toFixed(0)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms${lag}, non-2xx ${result.non2xx}${chains}; RSS peak ${result.rssPerProcessPeak.toFixed(0)} MB per process; cores used: ${cpu}`);
  return { label, ...result };
}

/**
 * @param {string} label
 * @param {string} kind 'a', 'b', 'c' or 'e' (makeBodies)
 * @param {Target} target
 * @param {Keys} keys
 * @param {RunningProcess} tokenProc
 * @param {AuditStreams} auditStreams
 * @param {Parts} parts
 * @param {{ fresh?: boolean, issuers?: string[], rate?: number }} [options] a fresh process warms up longer; `issuers` send in turn; `rate`: open loop
 */
async function runWorkload(label, kind, target, keys, tokenProc, auditStreams, parts, { fresh = false, issuers, rate } = {}) {
  // A process that just started is still compiling its hot path (V8 tiers up over
  // thousands of requests) and growing its heap: the first workload on it warms up longer.
  const warmupS = WARMUP_S + (fresh ? FRESH_WARMUP_S : 0);
  // Enough single-use assertions for the fastest rate expected, or for the fixed one.
  const count = bodiesFor(DURATION_S, rate);
  const warmCount = bodiesFor(warmupS, rate);
  log(`${label}: generating ${count + warmCount} request bodies`);
  const warm = await makeBodies(kind, warmCount, keys, target.audience, issuers);
  const bodies = await makeBodies(kind, count, keys, target.audience, issuers);
  /** @type {(url: string, list: string[], seconds: number) => Promise<LoadResult>} */
  const load = rate ? (url, list, seconds) => driveAtRate(url, list, seconds, rate) : drive;
  await load(target.url, warm, warmupS);
  const how = rate ? `at ${rate} req/s offered (open loop)` : `at ${CONNECTIONS} connections`;
  return measureWorkload(label, how, () => load(target.url, bodies, DURATION_S), { tokenProc, auditStreams, parts });
}

// ---------- crypto limit ----------

/**
 * ES256 verify + sign pairs per second on this core, for `durationMs`.
 * @param {number} [durationMs]
 */
async function cryptoLimit(durationMs = 2000) {
  const key = await es256KeyPair('limit');
  const token = await signAssertion(key, { iss: 'x', sub: 'y', aud: 'z' });
  const timeLoop = async (/** @type {() => unknown} */ op) => {
    for (let i = 0; i < 200; i += 1) await op(); // warm-up
    let n = 0;
    const end = performance.now() + durationMs;
    const start = performance.now();
    while (performance.now() < end) {
      await op();
      n += 1;
    }
    return n / ((performance.now() - start) / 1000);
  };
  const joseVerify = await timeLoop(() => jwtVerify(token, key.publicKey));
  const joseSign = await timeLoop(() => new SignJWT({ sub: 'y' }).setProtectedHeader({ alg: 'ES256' }).sign(key.privateKey));
  const nodePrivate = createPrivateKey({ key: key.privateJwk, format: 'jwk' });
  const nodePublic = createPublicKey({ key: key.publicJwk, format: 'jwk' });
  const data = Buffer.from(token.slice(0, token.lastIndexOf('.')));
  const signature = cryptoSign('sha256', data, { key: nodePrivate, dsaEncoding: 'ieee-p1363' });
  const nodeVerify = await timeLoop(() => cryptoVerify('sha256', data, { key: nodePublic, dsaEncoding: 'ieee-p1363' }, signature));
  const nodeSign = await timeLoop(() => cryptoSign('sha256', data, { key: nodePrivate, dsaEncoding: 'ieee-p1363' }));
  return { joseVerify, joseSign, nodeVerify, nodeSign };
}

/** Requests per second that `verifies` + 1 sign per request allow on `cores` cores. */
/** @type {(verifyRate: number, signRate: number, verifies: number, cores: number) => number} */
const limitFor = (verifyRate, signRate, verifies, cores) => cores / (verifies / verifyRate + 1 / signRate);

// ---------- setup ----------

/**
 * @param {string} base
 * @param {string} key
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<unknown>}
 */
async function admin(base, key, method, path, body) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/**
 * @param {string} url
 * @param {string} body
 * @returns {Promise<{ status: number, json: TokenAnswer | undefined }>} `json` undefined when the body is not JSON
 */
async function postToken(url, body) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
  return { status: res.status, json: /** @type {TokenAnswer | undefined} */ (await res.json().catch(() => undefined)) };
}

/**
 * Copies the registered issuer `count` times under other `iss` values, keys included.
 * @param {string} databaseUrl
 * @param {number} count
 * @returns {Promise<number>} how many issuers the registry holds then
 */
async function insertIssuers(databaseUrl, count) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO registry.issuers (issuer, display_name, status, expires_at, jwks, jwks_uri, discovery, allowed_algorithms, subjects,
         condition, claim_mappings, allowed_scopes, audiences, max_assertion_lifetime_s, clock_skew_s, require_jti, require_client_auth,
         allowed_client_ids, access_token_ttl_s)
       SELECT 'https://idp-' || g || '.bench.example', 'bench issuer ' || g, status, expires_at, jwks, jwks_uri, discovery, allowed_algorithms, subjects,
         condition, claim_mappings, allowed_scopes, audiences, max_assertion_lifetime_s, clock_skew_s, require_jti, require_client_auth,
         allowed_client_ids, access_token_ttl_s
       FROM registry.issuers i, generate_series(1, $2::int) g WHERE i.issuer = $1`,
      [IDP, count],
    );
    await client.query(
      `INSERT INTO registry.party_keys (party_type, party_id, keys, source, jwks_uri, fetched_at, next_refresh_at)
       SELECT 'issuer', n.id::text, k.keys, k.source, k.jwks_uri, k.fetched_at, k.next_refresh_at
       FROM registry.issuers n
       JOIN registry.issuers o ON o.issuer = $1
       JOIN registry.party_keys k ON k.party_type = 'issuer' AND k.party_id = o.id::text
       WHERE n.issuer ~ '^https://idp-[0-9]+\\.bench\\.example$'`, // the copies only, not IDP_REFRESH (https://idp-refresh...)
      [IDP],
    );
    await client.query('COMMIT');
    const { rows } = await client.query('SELECT count(*)::int AS n FROM registry.issuers');
    return rows[0].n;
  } finally {
    await client.end();
  }
}

/**
 * Step 6: EXTRA_ISSUERS more trusted issuers, token-service restarted on them, (a) again.
 * @param {import('@trust-broker/testing').TestDatabase} database
 * @param {Record<string, RunningProcess>} procs
 * @param {Record<string, string>} tokenEnv
 * @param {string[]} tokenNodeArgs
 * @param {{ token: number }} ports
 * @param {Keys} keys
 * @param {Target} ours
 * @param {string} brokerIssuer
 * @param {AuditStreams} auditStreams
 * @param {Parts} tokenParts
 */
async function runTenThousand(database, procs, tokenEnv, tokenNodeArgs, ports, keys, ours, brokerIssuer, auditStreams, tokenParts) {
  log(`inserting ${EXTRA_ISSUERS} more trusted issuers`);
  const issuers = await insertIssuers(database.url, EXTRA_ISSUERS);
  await procs.token.stop(30_000);
  procs.token = await startService('token-service', tokenEnv, ports.token, tokenNodeArgs);
  const far = await grantAssertion(keys, brokerIssuer, `https://idp-${EXTRA_ISSUERS}.bench.example`);
  await eventually(async () => (await postToken(ours.url, form({ grant_type: JWT_BEARER_GRANT, assertion: far }))).status === 200, 60_000, 500);
  // BENCH_SPREAD_ISSUERS=1: the assertions come from every issuer in turn (each issuer's keys
  // imported, its own replay namespace): the worst case for memory, not only an idle registry.
  const spread = process.env.BENCH_SPREAD_ISSUERS === '1';
  const all = spread ? [IDP, ...Array.from({ length: EXTRA_ISSUERS }, (_, i) => `https://idp-${i + 1}.bench.example`)] : undefined;
  const label = `(a) with ${issuers} issuers${spread ? ', all sending' : ''}`;
  const run = await runWorkload(label, 'a', ours, keys, procs.token, auditStreams, tokenParts, { fresh: true, issuers: all });
  return { kind: 'a', issuers, ...run };
}

// ---------- report ----------

/**
 * Failed answers, and how many bodies were sent a second time (their assertions used up).
 * @param {LoadResult} r
 */
function non2xxCell(r) {
  return String(r.non2xx) + (r.exhausted ? ` (${r.exhausted} reused bodies)` : '');
}

/**
 * Markdown table lines, columns padded to their widest cell.
 * @param {string[]} header
 * @param {string[][]} rows
 */
function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const fmt = (/** @type {string[]} */ row) => `| ${row.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`;
  return [fmt(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(fmt)];
}

/**
 * @param {{ cpuModel: string, limits: Awaited<ReturnType<typeof cryptoLimit>>, results: WorkloadRun[], oidc: WorkloadRun,
 *   tenK: (WorkloadRun & { issuers: number }) | undefined, oneIssuerA: WorkloadRun,
 *   audit: { peak: number, afterRun: number, drained: number | null, deadLetters: number }, latency: Measured[] }} report
 */
function printReport({ cpuModel, limits, results, oidc, tenK, oneIssuerA, audit, latency }) {
  const cores = availableParallelism();
  const f0 = (/** @type {number} */ n) => n.toFixed(0);
  // Requests per CPU-second of the server's own processes: the figure least moved by other load on the machine.
  const perCore = (/** @type {Measured} */ r) => r.rps / Math.max(r.cpu.server, 0.01);
  /** @type {string[]} */
  const lines = [];
  lines.push('');
  lines.push(`Token endpoint benchmark: ${cores} CPUs (${cpuModel}), Node ${process.version}, load generator on the same machine`);
  lines.push(`token-service NODE_OPTIONS: ${process.env.BENCH_TOKEN_HEAP_MB === '0' ? '(none)' : `--max-old-space-size=${process.env.BENCH_TOKEN_HEAP_MB ?? 192}`}`);
  lines.push(`autocannon ${CONNECTIONS} connections, ${WARMUP_S} s warm-up (${WARMUP_S + FRESH_WARMUP_S} s on a fresh process) + ${DURATION_S} s per workload, token-service TOKEN_SERVICE_WORKERS=${WORKERS}`);
  lines.push('');
  lines.push('Crypto-bound limit (ES256, this run, one core):');
  lines.push(`  jose 6 (WebCrypto)  verify ${f0(limits.joseVerify)}/s, sign ${f0(limits.joseSign)}/s -> verify+sign ${f0(limitFor(limits.joseVerify, limits.joseSign, 1, 1))}/s per core`);
  lines.push(`  node:crypto         verify ${f0(limits.nodeVerify)}/s, sign ${f0(limits.nodeSign)}/s -> verify+sign ${f0(limitFor(limits.nodeVerify, limits.nodeSign, 1, 1))}/s per core`);
  lines.push('');
  const header = ['workload', 'req/s', 'req per server CPU-s', 'p50 ms', 'p99 ms', 'non-2xx', 'RSS MB peak/proc (sum)', 'audit backlog peak', 'x oidc-provider (b)', 'of jose limit', 'of node:crypto limit'];
  /** @type {string[][]} */
  const rows = [];
  for (const r of [...results, oidc, tenK].filter((run) => run !== undefined)) {
    const verifies = r.kind === 'c' ? 2 : 1;
    const ours = r.label !== oidc.label;
    rows.push([
      r.label,
      f0(r.rps),
      `${f0(perCore(r))}${ours ? ` (${(perCore(r) / perCore(oidc)).toFixed(2)}x)` : ''}`,
      String(r.p50),
      String(r.p99),
      non2xxCell(r),
      ours ? `${f0(r.rssPerProcessPeak)} (${f0(r.rssSumPeak)}, ${r.processes} proc)` : `${f0(r.rssPerProcessPeak)}`,
      ours ? String(r.queuePeak) : '-',
      ours ? `${(r.rps / oidc.rps).toFixed(2)}x` : '1.00x',
      `${((100 * r.rps) / limitFor(limits.joseVerify, limits.joseSign, verifies, cores)).toFixed(0)}%`,
      `${((100 * r.rps) / limitFor(limits.nodeVerify, limits.nodeSign, verifies, cores)).toFixed(0)}%`,
    ]);
  }
  lines.push(...table(header, rows));
  if (latency.length > 0) {
    lines.push('');
    lines.push('Latency below saturation (open loop: requests sent at a fixed rate whatever the answers do, latency from when each was due):');
    const latencyHeader = ['workload', 'req/s done', 'p50 ms', 'p99 ms', 'non-2xx', 'server cores'];
    const latencyRows = latency.map((r) => [r.label, f0(r.rps), String(r.p50), String(r.p99), non2xxCell(r), r.cpu.server.toFixed(2)]);
    lines.push(...table(latencyHeader, latencyRows));
  }
  lines.push('');
  lines.push('Cores used during each workload (of the machine\'s; redis and postgres count every client, teammates\' too; steal: taken by the hypervisor, part of machine):');
  const cpuNames = Object.keys(results[0].cpu);
  const cpuRows = [...results, oidc, tenK, ...latency].filter((run) => run !== undefined).map((r) => [r.label, ...cpuNames.map((name) => r.cpu[name].toFixed(2))]);
  lines.push(...table(['workload', ...cpuNames], cpuRows));
  lines.push('');
  lines.push('req per server CPU-s: requests per second divided by the cores the server processes used (ratio to oidc-provider in brackets).');
  lines.push(`Limits are for ${cores} cores (verifies + 1 sign per request: 1 verify for (a), (b), (d), (e); 2 for (c)); the load generator shares the cores.`);
  const refreshRun = results.find((r) => r.kind === 'd');
  const grantRun = results.find((r) => r.kind === 'a');
  // (b) runs before (d): both or neither.
  const clientRun = results.find((r) => r.kind === 'b');
  if (refreshRun && grantRun && clientRun) {
    lines.push(
      `(d) refresh_token (one Postgres transaction per request: the family locked, the token rotated): ${f0(refreshRun.rps)} req/s beside (a) jwt-bearer ${f0(grantRun.rps)} req/s ` +
        `and (b) ${f0(clientRun.rps)} req/s, the same client authentication; ${refreshRun.brokenChains} chains broken`,
    );
  }
  if (tenK) {
    lines.push(
      `(a) with ${tenK.issuers} trusted issuers vs one: ${((100 * tenK.rps) / oneIssuerA.rps).toFixed(1)}% of the throughput, ` +
        `${((100 * perCore(tenK)) / perCore(oneIssuerA)).toFixed(1)}% of the requests per server CPU-second, p99 ${tenK.p99} vs ${oneIssuerA.p99} ms`,
    );
  }
  lines.push(`Audit streams (entries not acknowledged, all shards): peak ${audit.peak} during the run, ${audit.afterRun} right after the last workload, ${audit.drained === null ? 'not empty' : `empty ${audit.drained.toFixed(1)} s later`}; ${audit.deadLetters} dead-lettered`);
  lines.push('');
  lines.push(
    ...summaryLines({
      grant: results.find((r) => r.kind === 'a'),
      oidc,
      grantOpen: latency.find((r) => r.label.startsWith('(a)')),
      oidcOpen: latency.find((r) => r.label.startsWith(oidc.label)),
      connections: CONNECTIONS,
      rate: LATENCY_RATE,
    }),
  );
  lines.push('');
  process.stdout.write(`${lines.join('\n')}\n`);
}

// ---------- main ----------

async function main() {
  const database = await createTestDatabase('bench');
  const redisPrefix = createTestRedisPrefix('bench');
  const ports = { token: await getFreePort(), registry: await getFreePort(), audit: await getFreePort(), oidc: await getFreePort() };
  const brokerIssuer = `http://127.0.0.1:${ports.token}`;
  const adminKey = randomBytes(24).toString('base64url');
  const env = {
    NODE_ENV: 'production',
    DATABASE_URL: database.url,
    REDIS_URL: redisPrefix.url,
    REDIS_PREFIX: redisPrefix.prefix,
    BROKER_ISSUER: brokerIssuer,
    ADMIN_API_KEY: adminKey,
    KEY_ENCRYPTION_KEY: randomKeyEncryptionKey(),
    TOKEN_SERVICE_PORT: String(ports.token),
    ISSUER_REGISTRY_PORT: String(ports.registry),
    AUDIT_WORKER_PORT: String(ports.audit),
    TOKEN_SERVICE_WORKERS: WORKERS,
    // The rate limiter runs (its Redis counter is on the hot path) but never refuses: the
    // bench is one client from one address, far above a real client's share.
    RATE_LIMIT_PER_CLIENT: '10000000',
    RATE_LIMIT_PER_ADDRESS: '10000000',
    LOG_LEVEL: 'warn',
  };
  // BENCH_TOKEN_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles token-service only;
  // BENCH_AUDIT_NODE_ARGS the same for audit-worker.
  const tokenNodeArgs = (process.env.BENCH_TOKEN_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const auditNodeArgs = (process.env.BENCH_AUDIT_NODE_ARGS ?? '').split(' ').filter(Boolean);
  // V8 lets the old space grow to a limit sized from the machine's memory, and garbage
  // stays resident until then: the heap limit is what bounds token-service's RSS
  // (bench/README.md). BENCH_TOKEN_HEAP_MB=0 leaves V8's default.
  const heapMb = Number(process.env.BENCH_TOKEN_HEAP_MB ?? 192);
  const tokenEnv = heapMb > 0 ? { ...env, NODE_OPTIONS: `--max-old-space-size=${heapMb}` } : env;
  /** @type {Record<string, RunningProcess>} */
  const procs = {};
  const redis = new Redis(redisPrefix.url, { maxRetriesPerRequest: null });
  const auditStreams = { redis, prefix: redisPrefix.prefix };
  try {
    log(`database ${database.name}, Redis prefix ${redisPrefix.prefix}`);
    for (const app of ['issuer-registry', 'token-service', 'audit-worker']) await migrate(app, env);
    procs.registry = await startService('issuer-registry', env, ports.registry);
    procs.audit = await startService('audit-worker', env, ports.audit, auditNodeArgs);
    procs.token = await startService('token-service', tokenEnv, ports.token, tokenNodeArgs);

    const keys = { idp: await es256KeyPair('idp-1'), client: await es256KeyPair('client-1'), oidcSigning: await es256KeyPair('oidc-1') };
    const registryUrl = `http://127.0.0.1:${ports.registry}`;
    // The partner's one key, trusted under IDP and, for workload (d), under IDP_REFRESH with refresh tokens.
    const trustPartner = (/** @type {string} */ issuer, /** @type {Record<string, unknown>} */ settings = {}) =>
      admin(registryUrl, adminKey, 'POST', '/v1/issuers', { issuer, jwks: { keys: [keys.idp.publicJwk] }, allowed_algorithms: ['ES256'], subjects: ['*'], allowed_scopes: ['read'], audiences: [RESOURCE], ...settings });
    await trustPartner(IDP);
    await admin(registryUrl, adminKey, 'POST', '/v1/clients', {
      client_id: CLIENT_ID,
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [keys.client.publicJwk] },
      token_endpoint_auth_signing_alg: 'ES256',
      grant_types: ['client_credentials', JWT_BEARER_GRANT, 'refresh_token'],
      scope: 'read',
    });
    await trustPartner(IDP_REFRESH, { refresh_tokens: true });
    const ours = { url: `${brokerIssuer}/oauth2/token`, audience: brokerIssuer };
    // Both registrations have reached the token service once (c) answers 200.
    await eventually(async () => (await postToken(ours.url, (await makeBodies('c', 1, keys, brokerIssuer))[0])).status === 200, 30_000, 200);
    const sample = await postToken(ours.url, (await makeBodies('a', 1, keys, brokerIssuer))[0]);
    await jwtVerify(/** @type {TokenAnswer} */ (sample.json).access_token, (await import('jose')).createRemoteJWKSet(new URL(`${brokerIssuer}/.well-known/jwks.json`)), { issuer: brokerIssuer });

    log('measuring the crypto limit');
    const limits = await cryptoLimit();

    const parts = (/** @type {() => RunningProcess} */ server) => ({
      server: () => processTree(server().child.pid),
      'audit-worker': () => processTree(procs.audit.child.pid),
      'load generator': () => [process.pid],
      redis: () => pidsNamed('redis-server'),
      postgres: () => pidsNamed('postgres'),
    });
    const tokenParts = parts(() => procs.token);
    const results = [];
    // BENCH_ONLY_A=1: workload (a) alone (for profiling), no table; with BENCH_EXTRA_ISSUERS > 0
    // (set it explicitly), (a) with that many more trusted issuers instead.
    if (process.env.BENCH_ONLY_A === '1' && process.env.BENCH_EXTRA_ISSUERS !== undefined && EXTRA_ISSUERS > 0) {
      await runTenThousand(database, procs, tokenEnv, tokenNodeArgs, ports, keys, ours, brokerIssuer, auditStreams, tokenParts);
      return;
    }
    const latencyLabel = (/** @type {string} */ workload) => `${workload} at ${LATENCY_RATE} req/s offered`;
    // BENCH_ONLY_LATENCY=1: the open-loop latency run of (a) alone (for profiling), no table.
    if (process.env.BENCH_ONLY_LATENCY === '1') {
      await runWorkload(latencyLabel('(a)'), 'a', ours, keys, procs.token, auditStreams, tokenParts, { fresh: true, rate: LATENCY_RATE });
      const metrics = await (await fetch(`${brokerIssuer}/metrics`)).text();
      log(metrics.split('\n').filter((line) => /^(nodejs_(eventloop_lag|gc_duration_seconds_(sum|count))|token_request_duration_seconds_bucket)/.test(line)).join('\n'));
      return;
    }
    results.push({ kind: 'a', ...(await runWorkload('(a) jwt-bearer, ES256', 'a', ours, keys, procs.token, auditStreams, tokenParts, { fresh: true })) });
    if (process.env.BENCH_ONLY_A === '1') return;
    results.push({ kind: 'e', ...(await runWorkload('(e) token exchange, ES256 jwt subject token', 'e', ours, keys, procs.token, auditStreams, tokenParts)) });
    if (process.env.BENCH_ONLY_AE === '1') return;
    results.push({ kind: 'b', ...(await runWorkload('(b) client_credentials + private_key_jwt', 'b', ours, keys, procs.token, auditStreams, tokenParts)) });
    results.push({ kind: 'c', ...(await runWorkload('(c) jwt-bearer + private_key_jwt', 'c', ours, keys, procs.token, auditStreams, tokenParts)) });
    results.push({ kind: 'd', ...(await runRefreshWorkload('(d) refresh_token + private_key_jwt', ours, keys, procs.token, auditStreams, tokenParts)) });
    const latency = [];
    if (LATENCY_RATE > 0) {
      latency.push(await runWorkload(latencyLabel('(a)'), 'a', ours, keys, procs.token, auditStreams, tokenParts, { rate: LATENCY_RATE }));
    }

    // The reference: oidc-provider doing (b), as its own process.
    const oidcIssuer = `http://127.0.0.1:${ports.oidc}`;
    procs.oidc = startNodeProcess(join(dirname(fileURLToPath(import.meta.url)), 'oidc-provider.server.mjs'), {
      NODE_ENV: 'production',
      OIDC_BENCH_CONFIG: JSON.stringify({ port: ports.oidc, issuer: oidcIssuer, clientId: CLIENT_ID, clientJwk: keys.client.publicJwk, signingJwk: keys.oidcSigning.privateJwk, resource: RESOURCE, scope: 'read' }),
    });
    await eventually(async () => procs.oidc.output().includes('listening'), 30_000);
    const theirs = { url: `${oidcIssuer}/token`, audience: oidcIssuer };
    const check = await postToken(theirs.url, (await makeBodies('b', 1, keys, oidcIssuer))[0]);
    if (check.status !== 200) throw new Error(`oidc-provider answered ${check.status} ${JSON.stringify(check.json)}\n${procs.oidc.output()}`);
    const claims = (await jwtVerify(/** @type {TokenAnswer} */ (check.json).access_token, keys.oidcSigning.publicKey)).payload;
    log(`oidc-provider access token: JWT ES256, aud ${claims.aud}, scope ${claims.scope}`);
    const oidcRun = await runWorkload('oidc-provider (b)', 'b', theirs, keys, procs.oidc, auditStreams, parts(() => procs.oidc), { fresh: true });
    const oidc = { kind: 'b', ...oidcRun };
    if (LATENCY_RATE > 0) {
      latency.push(await runWorkload(latencyLabel('oidc-provider (b)'), 'b', theirs, keys, procs.oidc, auditStreams, parts(() => procs.oidc), { rate: LATENCY_RATE }));
    }
    await procs.oidc.stop();
    delete procs.oidc;

    const afterRun = await queueDepth(auditStreams);
    const drainStart = Date.now();
    /** @type {number | null} */
    let drained = null;
    try {
      await eventually(async () => (await queueDepth(auditStreams)) === 0, 60_000, 100);
      drained = (Date.now() - drainStart) / 1000;
    } catch {
      // reported as not empty
    }

    const tenK = EXTRA_ISSUERS > 0 ? await runTenThousand(database, procs, tokenEnv, tokenNodeArgs, ports, keys, ours, brokerIssuer, auditStreams, tokenParts) : undefined;

    const deadLetters = await redis.xlen(auditDeadLetterKey(redisPrefix.prefix));
    const audit = {
      peak: Math.max(...[...results, tenK].filter((run) => run !== undefined).map((r) => r.queuePeak)),
      afterRun,
      drained,
      deadLetters,
    };
    printReport({ cpuModel: cpus()[0]?.model ?? 'unknown CPU', limits, results, oidc, tenK, oneIssuerA: results[0], audit, latency });
  } finally {
    for (const proc of Object.values(procs)) await proc.stop(30_000).catch(() => undefined);
    redis.disconnect();
    await redisPrefix.clear().catch(() => undefined);
    await database.drop().catch(() => undefined);
  }
}

main().catch((error) => {
  process.stderr.write(`bench failed: ${error.stack ?? error.message}\n`);
  process.exitCode = 1;
});
