/**
 * What this machine charges for work that arrives after idle time (prints figures, asserts
 * nothing). Below saturation the token service spends several times the CPU per request it
 * spends under full load (bench/README.md); this separates the machine's part from ours by
 * timing the same small operations back to back and with idle gaps between them:
 * - one ES256 verify + sign (node:crypto one-shot, the token path's two signature operations):
 *   wall time of the operation itself, measured around it;
 * - an empty timer wake-up: this process's CPU per wake-up (process.cpuUsage);
 * - one Redis round trip (`SET NX PX`, as the replay mark) and one BullMQ `add` (as the audit
 *   event), from their call to their answer.
 * Gaps of 2.5 ms (400 req/s) and 20 ms (50 req/s) are the open-loop rates the token bench uses.
 *
 *   node bench/src/idle-cost.bench.mjs      (needs the machine's Redis, like the tests)
 */
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import testing from '@trust-broker/testing';

const SAMPLES = Number(process.env.IDLE_COST_SAMPLES ?? 400);
const GAPS_MS = [0, 2.5, 20];

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const data = Buffer.alloc(300, 7);
const signature = sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
function verifyAndSign() {
  if (!verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature)) throw new Error('verify failed');
  sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
}

/**
 * Waits until `gapMs` after `from` (a busy gap of 0 does not yield at all).
 * @param {number} from
 * @param {number} gapMs
 */
async function idleUntil(from, gapMs) {
  if (gapMs === 0) return;
  const wait = from + gapMs - performance.now();
  if (wait > 0) await sleep(wait);
}

/** @param {number[]} values */
function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/**
 * @param {number} gapMs
 * @param {(i: number) => unknown} operation
 */
async function timeEach(gapMs, operation) {
  const wall = [];
  const cpuBefore = process.cpuUsage();
  for (let i = 0; i < SAMPLES; i++) {
    const started = performance.now();
    await operation(i);
    wall.push(performance.now() - started);
    await idleUntil(started, gapMs);
  }
  const cpu = process.cpuUsage(cpuBefore);
  return { medianUs: median(wall) * 1000, cpuPerIterationUs: (cpu.user + cpu.system) / SAMPLES };
}

const format = (/** @type {number} */ us) => `${Math.round(us)}`;

async function main() {
  for (let i = 0; i < 3000; i++) verifyAndSign();
  const redisPrefix = testing.createTestRedisPrefix('idle-cost');
  const redis = new Redis(redisPrefix.url, { maxRetriesPerRequest: 1 });
  const queue = new Queue('idle-cost', { connection: redis, prefix: redisPrefix.prefix });
  await queue.waitUntilReady();
  const event = { id: '', type: 'token', outcome: 'success', issuer: 'https://idp.example', subject: 'alice', scope: 'read', request_id: 'r' };
  let serial = 0;
  const rows = [];
  try {
    for (const gapMs of GAPS_MS) {
      const crypto = await timeEach(gapMs, () => verifyAndSign());
      const wakeUp = gapMs === 0 ? undefined : await timeEach(gapMs, () => undefined);
      const set = await timeEach(gapMs, () => redis.set(`${redisPrefix.prefix}:jti:${serial++}`, '1', 'PX', 60_000, 'NX'));
      const add = await timeEach(gapMs, () => {
        const id = `e${serial++}`;
        return queue.add('audit', { ...event, id }, { jobId: id, removeOnComplete: true });
      });
      rows.push({ gapMs, crypto, wakeUp, set, add });
    }
  } finally {
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    redis.disconnect();
    await redisPrefix.clear();
  }
  console.log(`\nWork after idle time (${SAMPLES} samples each; medians of wall time, in us):`);
  console.log('| gap between operations | ES256 verify + sign (node:crypto) | empty timer wake-up, process CPU | Redis SET NX round trip | BullMQ add |');
  console.log('|---|---|---|---|---|');
  for (const row of rows) {
    const gap = row.gapMs === 0 ? 'none (back to back)' : `${row.gapMs} ms (${Math.round(1000 / row.gapMs)}/s)`;
    const wake = row.wakeUp ? format(row.wakeUp.cpuPerIterationUs) : '-';
    console.log(`| ${gap} | ${format(row.crypto.medianUs)} | ${wake} | ${format(row.set.medianUs)} | ${format(row.add.medianUs)} |`);
  }
  const [busy, , slow] = rows;
  console.log(
    `\nAt ${slow.gapMs} ms gaps: crypto x${(slow.crypto.medianUs / busy.crypto.medianUs).toFixed(1)}, ` +
      `Redis round trip x${(slow.set.medianUs / busy.set.medianUs).toFixed(1)}, BullMQ add x${(slow.add.medianUs / busy.add.medianUs).toFixed(1)} ` +
      'of their back-to-back cost: the same work, on a machine that had gone idle.',
  );
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
