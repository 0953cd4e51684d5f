#!/usr/bin/env node
/**
 * Issue 22: what one jwt-bearer grant allocates in token-service, a figure the load of a
 * shared machine hardly moves (unlike req/s or p99). Starts issuer-registry, audit-worker
 * and token-service (one worker, `--trace-gc-nvp`), sends BENCH_ALLOC_WARMUP then
 * BENCH_ALLOC_REQUESTS grants, BENCH_ALLOC_CONNECTIONS at a time (closed loop) or at
 * BENCH_ALLOC_RATE per second (open loop), and prints, over the measured
 * ones: V8 bytes allocated per request (from the GC trace's heap sizes, between the first and
 * last collection in the window), scavenges and mark-compacts per 1,000 requests, GC pause,
 * what each scavenge copied (its work, which the load does not move), CPU.
 * BENCH_HEAP_SAMPLE=1 also samples where the bytes are allocated (heap-sampler.preload.mjs)
 * and prints the top sites (BENCH_HEAP_SAMPLE_SURVIVORS=1: only objects that outlived a
 * scavenge); BENCH_HEAP_SAMPLE_OUT=<file.heapprofile> keeps the profile.
 * BENCH_TOKEN_NODE_ARGS adds node flags (a CPU profile: cpu-profile-summary.mjs reads it).
 * Ports 7800-7899 (BENCH_PORTS). Asserts nothing.
 *
 *   node bench/src/allocation.bench.mjs      (npm run bench:allocation -w @trust-broker/bench)
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import testing from '@trust-broker/testing';
import { es256KeyPair, signAssertion } from './support/assertions.mjs';
import { packageOfUrl } from './support/code-location.mjs';
import { log } from './support/log.mjs';
import { cpuSeconds } from './support/proc-stats.mjs';
import { migrate, startService } from './support/services.mjs';

const { createTestDatabase, createTestRedisPrefix, getFreePortIn, eventually, randomKeyEncryptionKey } = testing;

const HERE = dirname(fileURLToPath(import.meta.url));
const REQUESTS = Number(process.env.BENCH_ALLOC_REQUESTS ?? 20_000);
const WARMUP = Number(process.env.BENCH_ALLOC_WARMUP ?? 4_000);
const RATE = Number(process.env.BENCH_ALLOC_RATE ?? 0);
const CONNECTIONS = Number(process.env.BENCH_ALLOC_CONNECTIONS ?? 8);
const HEAP_SAMPLE = process.env.BENCH_HEAP_SAMPLE === '1';
const TOP = Number(process.env.BENCH_ALLOC_TOP ?? 30);
const [PORT_FROM, PORT_TO] = (process.env.BENCH_PORTS ?? '7800-7899').split('-').map(Number);
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const IDP = 'https://idp.alloc-bench.example';
const BROKER = 'https://broker.alloc-bench.example';

const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

/**
 * One collection of the GC trace, with the requests answered when it was printed.
 * @typedef {{ pauseMs: number, kind: string, sizeBefore: number, sizeAfter: number, allocated: number, survived: number, promoted: number, answered: number }} GcEvent
 * @typedef {import('./support/assertions.mjs').Es256KeyPair} Es256KeyPair
 */

// ---------- the GC trace ----------

/**
 * Follows token-service's `--trace-gc-nvp` lines (V8 prints them on stdout), noting with each
 * collection how many requests had been answered by then.
 * @param {import('node:child_process').ChildProcess} child started with both outputs piped
 * @param {() => number} answered
 */
function followGcTrace(child, answered) {
  /** @type {GcEvent[]} */
  const events = [];
  let pending = '';
  const onData = (/** @type {Buffer} */ chunk) => {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const match = / pause=([\d.]+) .* gc=(\w+) .* total_size_before=(\d+) total_size_after=(\d+) .* allocated=(\d+)/.exec(line);
      if (!match) continue;
      // What a scavenge copied (kept in the young generation, and promoted to the old): its work, whatever the load.
      const promoted = Number(/ promoted=(\d+)/.exec(line)?.[1] ?? 0);
      const survived = Number(/ new_space_survived=(\d+)/.exec(line)?.[1] ?? 0) + promoted;
      events.push({ pauseMs: Number(match[1]), kind: match[2], sizeBefore: Number(match[3]), sizeAfter: Number(match[4]), allocated: Number(match[5]), survived, promoted, answered: answered() });
    }
  };
  /** @type {import('node:stream').Readable} */ (child.stdout).on('data', onData);
  /** @type {import('node:stream').Readable} */ (child.stderr).on('data', onData);
  return events;
}

/**
 * Bytes allocated per request between the window's first and last collection (what the
 * heap grew by from the end of one collection to the start of the next, summed: every
 * kind of collection, every space); collections and pause per 1,000 requests.
 * @param {GcEvent[]} events
 * @param {number} requests
 */
function gcFigures(events, requests) {
  const first = events[0];
  const last = events[events.length - 1];
  let allocated = 0;
  for (let i = 1; i < events.length; i += 1) allocated += events[i].sizeBefore - events[i - 1].sizeAfter;
  const between = last && first && last.answered > first.answered ? allocated / (last.answered - first.answered) : NaN;
  const perThousand = (/** @type {number} */ count) => (1000 * count) / requests;
  const scavenges = events.filter((event) => event.kind === 's');
  return {
    bytesPerRequest: between,
    scavengesPerThousand: perThousand(scavenges.length),
    otherPerThousand: perThousand(events.length - scavenges.length),
    kinds: [...new Set(events.map((event) => event.kind))].join(','),
    scavengePauseMs: scavenges.map((event) => event.pauseMs).sort((a, b) => a - b),
    survivedKb: scavenges.map((event) => event.survived / 1024).sort((a, b) => a - b),
    promotedKbPerThousand: perThousand(scavenges.reduce((sum, event) => sum + event.promoted, 0) / 1024),
    pausePerThousandMs: perThousand(events.reduce((sum, event) => sum + event.pauseMs, 0)),
  };
}

// ---------- load ----------

/** @param {Es256KeyPair} key */
async function grantBody(key) {
  const assertion = await signAssertion(key, { iss: IDP, aud: BROKER, sub: `user-${randomBytes(3).toString('hex')}` });
  return new URLSearchParams({ grant_type: JWT_BEARER, assertion, scope: 'read' }).toString();
}

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
      response.resume();
      response.on('end', () => resolvePost(response.statusCode ?? 0));
    });
    request.on('error', () => resolvePost(0));
    request.end(body);
  });
}

/**
 * `bodies.length` requests, and for each answer its status and latency. RATE > 0: open loop,
 * RATE requests per second whatever the answers do (latency from when each was due), as
 * long as the server keeps up. RATE 0: closed loop, CONNECTIONS requests always in flight,
 * so that each request meets the same concurrency however fast the machine is that minute
 * (a server that falls behind an open loop batches its Redis commands differently, which
 * moves the allocation per request). `onAnswer` counts each answer as it comes.
 * @param {http.Agent} agent
 * @param {string} url
 * @param {string[]} bodies
 * @param {() => unknown} onAnswer
 */
async function send(agent, url, bodies, onAnswer) {
  const started = performance.now();
  /** @type {number[]} */
  const latencies = [];
  /** @type {Record<number, number>} */
  const statuses = {};
  const post = (/** @type {number} */ index, /** @type {number} */ dueAt) =>
    postToken(agent, url, bodies[index]).then((status) => {
      latencies.push(performance.now() - dueAt);
      statuses[status] = (statuses[status] ?? 0) + 1;
      onAnswer();
    });
  let sent = 0;
  if (RATE > 0) {
    /** @type {Promise<void>[]} */
    const inFlight = [];
    while (sent < bodies.length) {
      const due = Math.min(bodies.length, Math.floor(((performance.now() - started) * RATE) / 1000) + 1);
      for (; sent < due; sent += 1) inFlight.push(post(sent, started + (sent * 1000) / RATE));
      await sleep(1);
    }
    await Promise.all(inFlight);
  } else {
    const loop = async () => {
      while (sent < bodies.length) await post(sent++, performance.now());
    };
    await Promise.all(Array.from({ length: CONNECTIONS }, loop));
  }
  latencies.sort((a, b) => a - b);
  const at = (/** @type {number} */ q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  return { seconds: (performance.now() - started) / 1000, statuses, p50: at(0.5), p99: at(0.99) };
}

// ---------- allocation sites ----------

/**
 * Sampled bytes by package, by allocating function, and by the first frame of our own code on the stack.
 * @param {import('node:inspector').HeapProfiler.SamplingHeapProfile} profile
 * @param {number} requests
 */
function allocationSites(profile, requests) {
  /** @type {Map<string, number>} */
  const byPackage = new Map();
  /** @type {Map<string, number>} */
  const byFunction = new Map();
  /** @type {Map<string, number>} */
  const byOurCaller = new Map();
  let total = 0;
  const add = (/** @type {Map<string, number>} */ map, /** @type {string} */ name, /** @type {number} */ bytes) => map.set(name, (map.get(name) ?? 0) + bytes);
  const frameName = (/** @type {import('node:inspector').Runtime.CallFrame} */ frame) => `${frame.functionName || '(anonymous)'} ${packageOfUrl(frame.url)} ${frame.url.split('/').pop()}:${frame.lineNumber + 1}`;
  /** @type {(node: import('node:inspector').HeapProfiler.SamplingHeapProfileNode, ours: string | undefined) => void} */
  const walk = (node, ours) => {
    const frame = node.callFrame;
    const pkg = packageOfUrl(frame.url);
    const isOurs = pkg.startsWith('apps/') || pkg.startsWith('packages/');
    const caller = isOurs ? frameName(frame) : ours;
    if (node.selfSize > 0) {
      total += node.selfSize;
      add(byPackage, pkg, node.selfSize);
      add(byFunction, frameName(frame), node.selfSize);
      add(byOurCaller, caller ?? '(no frame of ours)', node.selfSize);
    }
    for (const child of node.children) walk(child, caller);
  };
  walk(profile.head, undefined);
  const what = process.env.BENCH_HEAP_SAMPLE_SURVIVORS === '1' ? 'only objects that outlived a scavenge' : 'incl. collected objects';
  const lines = [`\nallocation sites (sampled, ${what}): ${(total / requests / 1024).toFixed(1)} KB per request`];
  for (const [title, map] of /** @satisfies {[string, Map<string, number>][]} */ ([
    ['by package', byPackage],
    ['by allocating function', byFunction],
    ['by the nearest frame of our code (apps/, packages/) on the stack', byOurCaller],
  ])) {
    lines.push(`\n${title}`);
    for (const [name, bytes] of [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, TOP)) {
      lines.push(`${((100 * bytes) / total).toFixed(1).padStart(5)}%  ${(bytes / requests).toFixed(0).padStart(6)} B/req  ${name}`);
    }
  }
  return lines.join('\n');
}

// ---------- main ----------

async function main() {
  /** @type {Set<number>} */
  const taken = new Set();
  const nextPort = async () => {
    const port = await getFreePortIn(PORT_FROM, PORT_TO, (p) => taken.has(p));
    taken.add(port);
    return port;
  };
  const ports = { token: await nextPort(), registry: await nextPort(), audit: await nextPort() };
  const database = await createTestDatabase('allocbench');
  const redisPrefix = createTestRedisPrefix('allocbench');
  const sampleFile = process.env.BENCH_HEAP_SAMPLE_OUT ? resolve(process.env.BENCH_HEAP_SAMPLE_OUT) : join(tmpdir(), `heap-sample-${process.pid}.json`);
  const env = {
    NODE_ENV: 'production',
    DATABASE_URL: database.url,
    REDIS_URL: redisPrefix.url,
    REDIS_PREFIX: redisPrefix.prefix,
    BROKER_ISSUER: BROKER,
    ADMIN_API_KEY: randomBytes(24).toString('base64url'),
    KEY_ENCRYPTION_KEY: randomKeyEncryptionKey(),
    TOKEN_SERVICE_PORT: String(ports.token),
    ISSUER_REGISTRY_PORT: String(ports.registry),
    AUDIT_WORKER_PORT: String(ports.audit),
    TOKEN_SERVICE_WORKERS: '1',
    // Counted, never refused: one client from one address, far above a real one's share.
    RATE_LIMIT_PER_CLIENT: '10000000',
    RATE_LIMIT_PER_ADDRESS: '10000000',
    LOG_LEVEL: 'warn',
    BENCH_HEAP_SAMPLE_FILE: sampleFile,
  };
  // BENCH_TOKEN_NODE_ARGS: more node flags for token-service, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const extraArgs = (process.env.BENCH_TOKEN_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const tokenArgs = ['--max-old-space-size=192', '--trace-gc-nvp', ...extraArgs, ...(HEAP_SAMPLE ? ['--import', join(HERE, 'heap-sampler.preload.mjs')] : [])];
  /** @type {import('@trust-broker/testing').RunningProcess[]} */
  const procs = [];
  try {
    for (const app of ['issuer-registry', 'token-service', 'audit-worker']) await migrate(app, env);
    procs.push(await startService('issuer-registry', env, ports.registry));
    procs.push(await startService('audit-worker', env, ports.audit));
    const token = await startService('token-service', env, ports.token, tokenArgs);
    procs.push(token);

    const key = await es256KeyPair('alloc-bench-1');
    const admin = await fetch(`http://127.0.0.1:${ports.registry}/v1/issuers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${env.ADMIN_API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ issuer: IDP, jwks: { keys: [key.publicJwk] }, allowed_algorithms: ['ES256'], subjects: ['*'], allowed_scopes: ['read'] }),
    });
    if (admin.status !== 201) throw new Error(`registering the issuer: HTTP ${admin.status} ${await admin.text()}`);
    const url = `http://127.0.0.1:${ports.token}/oauth2/token`;
    const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
    await eventually(async () => (await postToken(agent, url, await grantBody(key))) === 200, 30_000, 200);

    log(`${WARMUP + REQUESTS} assertions`);
    /** @type {string[]} */
    const bodies = [];
    for (let i = 0; i < WARMUP + REQUESTS; i += 1) bodies.push(await grantBody(key));
    let answered = 0;
    const events = followGcTrace(token.child, () => answered);
    const load = RATE > 0 ? `at ${RATE}/s (open loop, ${CONNECTIONS} keep-alive connections)` : `closed loop, ${CONNECTIONS} in flight`;
    log(`warm-up: ${WARMUP} requests ${load}`);
    await send(agent, url, bodies.slice(0, WARMUP), () => undefined);
    await sleep(500);
    const fromEvent = events.length;
    if (HEAP_SAMPLE) writeFileSync(`${sampleFile}.on`, '');
    await sleep(200);
    if (token.child.exitCode !== null || token.child.signalCode !== null) throw new Error(`token-service ended (${token.child.exitCode ?? token.child.signalCode}): ${token.output().slice(-1500)}`);
    // A process that answered has a pid.
    const tokenPid = /** @type {number} */ (token.child.pid);
    const cpuBefore = cpuSeconds([tokenPid]);
    log(`measured: ${REQUESTS} requests ${load}`);
    const result = await send(agent, url, bodies.slice(WARMUP), () => (answered += 1));
    if (token.child.exitCode !== null || token.child.signalCode !== null) throw new Error(`token-service ended (${token.child.exitCode ?? token.child.signalCode}): ${token.output().slice(-1500)}`);
    const cpu = cpuSeconds([tokenPid]) - cpuBefore;
    const window = events.slice(fromEvent);
    if (HEAP_SAMPLE) rmSync(`${sampleFile}.on`);
    agent.destroy();

    const gc = gcFigures(window, REQUESTS);
    // BENCH_GC_EVENTS_OUT=<file.json>: the window's collections, to check the figures against.
    if (process.env.BENCH_GC_EVENTS_OUT) writeFileSync(process.env.BENCH_GC_EVENTS_OUT, JSON.stringify(window));
    const pauses = gc.scavengePauseMs;
    const quantile = (/** @type {number[]} */ sorted, /** @type {number} */ q) => (sorted.length > 0 ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))].toFixed(1) : '-');
    const at = (/** @type {number} */ q) => quantile(pauses, q);
    const lines = [
      `\njwt-bearer grant, ${REQUESTS} requests ${load} after ${WARMUP} of warm-up; token-service: one worker, --max-old-space-size=192${extraArgs.length > 0 ? ` ${extraArgs.join(' ')}` : ''}${HEAP_SAMPLE ? ', heap sampler on' : ''}`,
      `  answers: ${Object.entries(result.statuses)
        .map(([status, count]) => `${status}: ${count}`)
        .join(', ')}; p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms; ${(result.seconds).toFixed(1)} s`,
      `  allocated: ${(gc.bytesPerRequest / 1024).toFixed(1)} KB per request (V8 heap, between the window's first and last GC)`,
      `  scavenges: ${gc.scavengesPerThousand.toFixed(1)} per 1,000 requests (pause p50 ${at(0.5)} ms, max ${at(1)} ms); other GCs (${gc.kinds}): ${gc.otherPerThousand.toFixed(1)} per 1,000; GC pause ${gc.pausePerThousandMs.toFixed(0)} ms per 1,000 requests`,
      `  scavenge work: ${quantile(gc.survivedKb, 0.5)} KB copied per scavenge (kept young or promoted; p50, max ${quantile(gc.survivedKb, 1)}), ${gc.promotedKbPerThousand.toFixed(0)} KB promoted per 1,000 requests`,
      `  token-service CPU: ${((1e6 * cpu) / REQUESTS).toFixed(0)} us per request (${(cpu / result.seconds).toFixed(2)} cores)`,
    ];
    if (HEAP_SAMPLE) {
      await eventually(async () => readFileSync(sampleFile, 'utf8').length > 0, 30_000, 200);
      lines.push(allocationSites(JSON.parse(readFileSync(sampleFile, 'utf8')), REQUESTS));
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    for (const proc of procs.reverse()) await proc.stop().catch(() => undefined);
    if (!process.env.BENCH_HEAP_SAMPLE_OUT) rmSync(sampleFile, { force: true });
    rmSync(`${sampleFile}.on`, { force: true });
    await redisPrefix.clear().catch(() => undefined);
    await database.drop().catch(() => undefined);
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`${error.stack ?? error}\n`);
    process.exit(1);
  },
);
