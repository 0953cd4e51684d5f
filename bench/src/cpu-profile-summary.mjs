#!/usr/bin/env node
/**
 * Summarises a V8 `.cpuprofile` (from `--cpu-prof`, e.g. BENCH_TOKEN_NODE_ARGS): self time
 * by package (node_modules/<pkg>, our workspaces, node: internals, GC, native) and by
 * function, as a share of the busy (non-idle) time. Optionally per request:
 *
 *   node bench/src/cpu-profile-summary.mjs [--last-s N] <file.cpuprofile> [requests] [top]
 *
 * `--last-s N`: only the last N seconds of the profile (a bench run's measured part ends
 * just before token-service stops). `requests`: how many requests the process served in
 * that time, to print microseconds of CPU per request for each line.
 */
import { readFileSync } from 'node:fs';
import { packageOfUrl } from './support/code-location.mjs';

/**
 * The parts of a `.cpuprofile` (V8's Profiler.Profile, as `--cpu-prof` writes it) read here.
 * @typedef {{ id: number, callFrame: { functionName: string, url: string, lineNumber: number } }} ProfileNode
 * @typedef {{ nodes: ProfileNode[], startTime: number, endTime: number, samples: number[], timeDeltas: number[] }} CpuProfile
 */

const args = process.argv.slice(2);
const lastAt = args.indexOf('--last-s');
/** Only the samples of the profile's last N seconds (the measured part of a bench run, not start-up and warm-up). */
const lastS = lastAt >= 0 ? Number(args.splice(lastAt, 2)[1]) : Infinity;
const [file, requestsArg, topArg] = args;
if (!file) {
  process.stderr.write('usage: cpu-profile-summary.mjs [--last-s N] <file.cpuprofile> [requests] [top]\n');
  process.exit(2);
}
const requests = Number(requestsArg ?? 0);
const top = Number(topArg ?? 40);
/** @type {CpuProfile} */
const profile = JSON.parse(readFileSync(file, 'utf8'));

const byId = new Map(profile.nodes.map((node) => [node.id, node]));
/** @type {Map<number, number>} */
const selfUs = new Map();
// timeDeltas[i] is the time since the previous sample; sample i is attributed to samples[i].
const from = profile.endTime - lastS * 1e6;
let at = profile.startTime;
for (let i = 0; i < profile.samples.length; i += 1) {
  at += profile.timeDeltas[i] ?? 0;
  if (at < from) continue;
  const id = profile.samples[i];
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
}

/**
 * packageOfUrl, with the profiler's own pseudo-frames (GC, idle, program) named.
 * @param {ProfileNode} node
 */
function packageOf(node) {
  const { url, functionName } = node.callFrame;
  if (!url) {
    if (functionName === '(garbage collector)') return '(gc)';
    if (functionName === '(idle)') return '(idle)';
    if (functionName === '(program)') return '(program)';
  }
  return packageOfUrl(url);
}

/**
 * A coarse account of where a token request's CPU goes.
 * @param {ProfileNode} node
 * @param {string} pkg
 */
function partOf(node, pkg) {
  const name = node.callFrame.functionName;
  if (name === 'verifyOneShot' || name === 'signOneShot') return 'signature verify + sign (node:crypto)';
  if (pkg === '(gc)') return 'garbage collection';
  if (['writev', 'writeBuffer', 'writeUtf8String', 'writeLatin1String'].includes(name) && pkg === '(native)') return 'socket writes (HTTP answers, Redis commands)';
  if (['ioredis', 'redis-parser', 'standard-as-callback', 'denque', 'cluster-key-slot'].includes(pkg)) return 'Redis client (ioredis)';
  if (['bullmq', 'msgpackr', 'zod'].includes(pkg)) return 'audit event (zod check, BullMQ add)';
  if (pkg.startsWith('@nestjs/') || pkg === 'rxjs' || pkg === 'reflect-metadata' || pkg === 'iterare') return 'NestJS';
  if (['fastify', 'find-my-way', 'fast-querystring', 'fast-decode-uri-component', 'light-my-request', 'avvio', 'toad-cache', '@fastify/middie', 'fast-json-stringify', 'secure-json-parse'].includes(pkg)) return 'Fastify';
  if (pkg.startsWith('node:_http') || pkg === 'node:net' || pkg === 'node:async_hooks' || name === 'deprecate') return 'node http, net, async_hooks';
  if (['apps/token-service', 'packages/validation', 'packages/service-kit', 'packages/secrets', 'packages/contracts', 'jose', 'prom-client'].includes(pkg)) return 'our code (token-service, validation, jose decode, metrics)';
  return 'other node internals and native (promises, timers, buffers, hashing)';
}

/** @type {Map<string, number>} */
const parts = new Map();
/** @type {Map<string, number>} */
const packages = new Map();
/** @type {Map<string, number>} */
const functions = new Map();
let total = 0;
let idle = 0;
for (const [id, us] of selfUs) {
  // Every sample names a node of the profile.
  const node = /** @type {ProfileNode} */ (byId.get(id));
  const pkg = packageOf(node);
  total += us;
  if (pkg === '(idle)') {
    idle += us;
    continue;
  }
  packages.set(pkg, (packages.get(pkg) ?? 0) + us);
  const part = partOf(node, pkg);
  parts.set(part, (parts.get(part) ?? 0) + us);
  const file = (node.callFrame.url || '').split('/').slice(-1)[0];
  const name = `${node.callFrame.functionName || '(anonymous)'} ${pkg}${file ? ` ${file}:${node.callFrame.lineNumber + 1}` : ''}`;
  functions.set(name, (functions.get(name) ?? 0) + us);
}
const busy = total - idle;

/**
 * @param {string} title
 * @param {Map<string, number>} map
 * @param {number} limit
 */
function print(title, map, limit) {
  process.stdout.write(`\n${title}\n`);
  const rows = [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, limit);
  for (const [name, us] of rows) {
    const share = ((100 * us) / busy).toFixed(1).padStart(5);
    const perRequest = requests > 0 ? `${(us / requests).toFixed(1).padStart(7)} us/req  ` : '';
    process.stdout.write(`${share}%  ${perRequest}${name}\n`);
  }
}

process.stdout.write(`profile ${(total / 1e6).toFixed(1)} s, busy ${(busy / 1e6).toFixed(1)} s (${((100 * busy) / total).toFixed(0)}%)`);
if (requests > 0) process.stdout.write(`, ${requests} requests: ${(busy / requests).toFixed(0)} us busy per request`);
process.stdout.write('\n');
print('self time by part of the request', parts, top);
print('self time by package', packages, top);
print('self time by function', functions, top);
