/**
 * `npm run bench [single] [batched]`: sustained audit events per second from the audit
 * streams into Postgres, with the hash chain, for two entry shapes one after the other: (i)
 * one event per entry (issuer-registry; default 30,000 events), (ii) entries of 16 to 64
 * events (token-service under load; default 100,000 events). Starts the built worker as a
 * real process on a fresh database and Redis prefix; for each shape, appends the entries
 * (pipelined XADD over the shards, far faster than the worker drains them) and measures
 * from the first append until the chain head has them all: close to the drain rate of a
 * backlog, which is the sustained rate the worker can take. Prints the CPU per event of the worker, of the Postgres backends serving it and of
 * the Redis server (shared: anything else using it counts too). At the end it verifies the
 * whole chain (GET /v1/audit/verify?full=true, BENCH_VERIFY_RUNS times, then the default,
 * incremental walk) and prints rows/s and CPU per row of each walk; it fails if the chain is
 * not intact. A script that prints figures, not a test. `-- 0 250000`: 250,000 events in
 * batch jobs only, the verification figures of bench/README.md.
 * The worker inherits the environment (AUDIT_BATCH_SIZE=500 npm run bench); BENCH_WORKER_MAIN
 * runs another build of it (path to its dist/main.js), for before/after runs.
 */
import { readFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { Client } from 'pg';
import { AUDIT_STREAM_FIELD, auditStreamKeys } from '@trust-broker/contracts';
import { createTestDatabase, createTestRedisPrefix, eventually, getFreePort, randomKeyEncryptionKey, startNodeProcess, waitForHttp } from '@trust-broker/testing';
import { benchEvent } from './bench-event';

/** Events sent as single-event jobs, then as batch jobs (argv 2 and 3). */
const SINGLE_TOTAL = Number(process.argv[2] ?? 30_000);
const BATCH_TOTAL = Number(process.argv[3] ?? 100_000);
const CHUNK = 500;
/** Full walks of GET /v1/audit/verify at the end (BENCH_VERIFY_RUNS). */
const VERIFY_RUNS = Number(process.env.BENCH_VERIFY_RUNS ?? 3);

async function workerCpuSeconds(port: number): Promise<number> {
  const metrics = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
  return Number(/^process_cpu_seconds_total (\S+)$/m.exec(metrics)?.[1] ?? NaN);
}

/** CPU seconds (user + system) of the Postgres backends serving the bench database (the worker's pool). */
async function postgresCpuSeconds(pg: Client, database: string): Promise<number> {
  const { rows } = await pg.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [database]);
  const ticks = await Promise.all(
    rows.map(async ({ pid }) => {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return Number(fields[11] ?? 0) + Number(fields[12] ?? 0); // utime, stime
    }),
  );
  return ticks.reduce((sum, value) => sum + value, 0) / 100; // USER_HZ
}

/** CPU seconds of the whole Redis server (shared with anything else using it meanwhile). */
async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const read = (name: string) => Number(new RegExp(`^${name}:(\\S+)`, 'm').exec(info)?.[1] ?? NaN);
  return read('used_cpu_user') + read('used_cpu_sys');
}

interface Shape {
  label: string;
  /** Event counts of the jobs, in order (1: a single-event `audit` job). */
  jobSizes: number[];
}

/** Batches of 16 to 64 events (uniform, seeded), as token-service sends them under load. */
function tokenServiceShape(total: number): number[] {
  const sizes: number[] = [];
  let seed = 7;
  for (let left = total; left > 0; ) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const size = Math.min(left, 16 + (seed % 49));
    sizes.push(size);
    left -= size;
  }
  return sizes;
}

async function main(): Promise<void> {
  const db = await createTestDatabase('bench');
  const redisPrefix = createTestRedisPrefix('bench');
  const port = await getFreePort();
  const worker = startNodeProcess(process.env.BENCH_WORKER_MAIN ?? join(__dirname, '..', '..', 'dist', 'main.js'), {
    DATABASE_URL: db.url,
    REDIS_URL: redisPrefix.url,
    REDIS_PREFIX: redisPrefix.prefix,
    AUDIT_WORKER_PORT: String(port),
    ADMIN_API_KEY: 'bench-admin-key-0123456789',
    KEY_ENCRYPTION_KEY: randomKeyEncryptionKey(),
    LOG_LEVEL: 'warn',
  });
  const connection = new Redis(redisPrefix.url, { maxRetriesPerRequest: null });
  const shards = auditStreamKeys(redisPrefix.prefix);
  const pg = new Client({ connectionString: db.url });
  const database = new URL(db.url).pathname.slice(1);
  try {
    await waitForHttp(`http://127.0.0.1:${port}/readyz`, 30_000);
    await pg.connect();
    const head = async () => Number((await pg.query(`SELECT seq FROM audit.chain_head`)).rows[0].seq);
    console.log(`machine: ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' / ')} (1/5/15 min) at start`);

    const shapes: Shape[] = [
      { label: 'single-event entries (issuer-registry)', jobSizes: Array.from({ length: SINGLE_TOTAL }, () => 1) },
      { label: 'entries of 16-64 events (token-service)', jobSizes: tokenServiceShape(BATCH_TOTAL) },
    ].filter((shape) => shape.jobSizes.length > 0);
    let expected = await head();
    let eventNumber = 0;
    for (const shape of shapes) {
      const total = shape.jobSizes.reduce((sum, size) => sum + size, 0);
      const jobs = shape.jobSizes.map((size) => JSON.stringify(Array.from({ length: size }, () => benchEvent((eventNumber += 1)))));
      expected += total;
      const before = { worker: await workerCpuSeconds(port), pg: await postgresCpuSeconds(pg, database), redis: await redisCpuSeconds(connection) };
      const metricsBefore = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
      const started = process.hrtime.bigint();
      for (let offset = 0; offset < jobs.length; offset += CHUNK) {
        const pipeline = connection.pipeline();
        jobs.slice(offset, offset + CHUNK).forEach((value, index) => pipeline.xadd(shards[(offset + index) % shards.length]!, '*', AUDIT_STREAM_FIELD, value));
        await pipeline.exec();
      }
      await eventually(async () => (await head()) >= expected, 600_000, 20);
      const drainedMs = Number(process.hrtime.bigint() - started) / 1e6;
      const after = { worker: await workerCpuSeconds(port), pg: await postgresCpuSeconds(pg, database), redis: await redisCpuSeconds(connection) };
      const metrics = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
      const metric = (text: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
      const writeMs = (metric(metrics, 'audit_batch_write_seconds_sum') - metric(metricsBefore, 'audit_batch_write_seconds_sum')) * 1000;
      const batches = metric(metrics, 'audit_batch_write_seconds_count') - metric(metricsBefore, 'audit_batch_write_seconds_count');
      const perEvent = (seconds: number) => `${((seconds * 1e6) / total).toFixed(0)} µs`;
      console.log(`\n${shape.label}: ${total} events in ${jobs.length} entries`);
      console.log(`  sustained throughput: ${Math.round((total / drainedMs) * 1000)} events/s (streams -> Postgres, hash-chained; ${drainedMs.toFixed(0)} ms)`);
      console.log(
        `  CPU per event:        worker ${perEvent(after.worker - before.worker)}, Postgres backends ${perEvent(after.pg - before.pg)}, ` +
          `Redis ${perEvent(after.redis - before.redis)} (whole server, shared) = ${perEvent(after.worker - before.worker + after.pg - before.pg + after.redis - before.redis)}`,
      );
      console.log(`  write batches:        ${batches} (mean ${(total / batches).toFixed(0)} events, ${(writeMs / batches).toFixed(1)} ms each)`);
      console.log(`  load average now:     ${loadavg().map((l) => l.toFixed(1)).join(' / ')}`);
    }

    // The chain's verification: full walks (the first finds no verified checkpoint yet), then the default, incremental one.
    const checkpoints = (await pg.query(`SELECT count(*)::int AS n FROM audit.checkpoints`)).rows[0].n;
    console.log(`\nchain: ${expected} events, ${checkpoints} checkpoints; GET /v1/audit/verify (${VERIFY_RUNS} full walks, then the default):`);
    const walks = [...Array.from({ length: VERIFY_RUNS }, () => '?full=true'), ''];
    for (const query of walks) {
      const before = { worker: await workerCpuSeconds(port), pg: await postgresCpuSeconds(pg, database) };
      const verifyStarted = process.hrtime.bigint();
      const verify = (await fetch(`http://127.0.0.1:${port}/v1/audit/verify${query}`, {
        headers: { authorization: 'Bearer bench-admin-key-0123456789' },
      }).then((r) => r.json())) as { intact?: boolean; checked?: number; walked?: number; full?: boolean };
      const verifyMs = Number(process.hrtime.bigint() - verifyStarted) / 1e6;
      const after = { worker: await workerCpuSeconds(port), pg: await postgresCpuSeconds(pg, database) };
      const walked = verify.walked ?? 0;
      const perRow = (seconds: number) => (walked > 0 ? `${((seconds * 1e6) / walked).toFixed(2)} µs` : '-');
      console.log(
        `  ${verify.full ? 'full walk  ' : 'incremental'}: ${walked} rows walked in ${verifyMs.toFixed(0)} ms = ${Math.round((walked / verifyMs) * 1000)} rows/s; ` +
          `CPU per row: worker ${perRow(after.worker - before.worker)}, Postgres ${perRow(after.pg - before.pg)}; load ${loadavg()[0]!.toFixed(1)}; ${JSON.stringify(verify)}`,
      );
      if (verify.intact !== true || verify.checked !== expected) throw new Error('the chain is not intact');
    }
  } finally {
    await worker.stop();
    connection.disconnect();
    await pg.end().catch(() => undefined);
    await redisPrefix.clear();
    await db.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
