/**
 * `npm run bench`: sustained audit events per second from the queue into Postgres, with
 * the hash chain. Starts the built worker as a real process on a fresh database and
 * Redis prefix, enqueues N (argv, default 50,000) events with addBulk while the queue is
 * paused, resumes it and measures until the chain head reaches N: the drain rate of a
 * backlog, which is the sustained rate the worker can take. A script that prints figures,
 * not a test. The worker inherits the environment (AUDIT_BATCH_SIZE=200 npm run bench).
 */
import { randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { Client } from 'pg';
import { DEFAULT_JOB_OPTIONS, QUEUES, type AuditEventInput } from '@trust-broker/contracts';
import { createTestDatabase, createTestRedisPrefix, eventually, getFreePort, randomKeyEncryptionKey, startNodeProcess, waitForHttp } from '@trust-broker/testing';

const TOTAL = Number(process.argv[2] ?? 50_000);
const CHUNK = 1000;

function benchEvent(i: number): AuditEventInput {
  return {
    id: randomUUID(),
    type: i % 10 === 0 ? 'admin' : 'token',
    occurred_at: new Date().toISOString(),
    outcome: i % 7 === 0 ? 'failure' : 'success',
    reason: i % 7 === 0 ? 'assertion_expired' : null,
    issuer: `https://idp-${i % 20}.example`,
    client_id: `client-${i % 50}`,
    subject: `user-${i}`,
    kid: 'key-1',
    jti_hash: 'b'.repeat(64),
    scope: 'read write',
    grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
    request_id: randomUUID(),
    details: { token_jti: randomUUID() },
  };
}

async function workerCpuSeconds(port: number): Promise<number> {
  const metrics = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
  return Number(/^process_cpu_seconds_total (\S+)$/m.exec(metrics)?.[1] ?? NaN);
}

async function main(): Promise<void> {
  const db = await createTestDatabase('bench');
  const redisPrefix = createTestRedisPrefix('bench');
  const port = await getFreePort();
  const worker = startNodeProcess(join(__dirname, '..', 'main.js'), {
    DATABASE_URL: db.url,
    REDIS_URL: redisPrefix.url,
    REDIS_PREFIX: redisPrefix.prefix,
    AUDIT_WORKER_PORT: String(port),
    ADMIN_API_KEY: 'bench-admin-key-0123456789',
    KEY_ENCRYPTION_KEY: randomKeyEncryptionKey(),
    LOG_LEVEL: 'warn',
  });
  const connection = new Redis(redisPrefix.url, { maxRetriesPerRequest: null });
  const queue = new Queue(QUEUES.audit, { connection, prefix: redisPrefix.prefix });
  const pg = new Client({ connectionString: db.url });
  try {
    await waitForHttp(`http://127.0.0.1:${port}/readyz`, 30_000);
    await pg.connect();
    const head = async () => Number((await pg.query(`SELECT seq FROM audit.chain_head`)).rows[0].seq);

    await queue.pause();
    const enqueueStarted = process.hrtime.bigint();
    for (let offset = 0; offset < TOTAL; offset += CHUNK) {
      const jobs = Array.from({ length: Math.min(CHUNK, TOTAL - offset) }, (_, i) => {
        const event = benchEvent(offset + i);
        return { name: 'audit', data: event, opts: { ...DEFAULT_JOB_OPTIONS, jobId: event.id } };
      });
      await queue.addBulk(jobs);
    }
    const enqueuedMs = Number(process.hrtime.bigint() - enqueueStarted) / 1e6;
    const cpuBefore = await workerCpuSeconds(port);
    const started = process.hrtime.bigint();
    await queue.resume();
    await eventually(async () => (await head()) >= TOTAL, 600_000, 50);
    const drainedMs = Number(process.hrtime.bigint() - started) / 1e6;
    const workerCpuMs = ((await workerCpuSeconds(port)) - cpuBefore) * 1000;

    const verifyStarted = process.hrtime.bigint();
    const verify = await fetch(`http://127.0.0.1:${port}/v1/audit/verify`, {
      headers: { authorization: 'Bearer bench-admin-key-0123456789' },
    }).then((r) => r.json());
    const verifyMs = Number(process.hrtime.bigint() - verifyStarted) / 1e6;
    const metrics = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
    const metric = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1] ?? NaN);
    const writeMs = metric('audit_batch_write_seconds_sum') * 1000;
    const batches = metric('audit_batch_write_seconds_count');
    const checkpoints = (await pg.query(`SELECT count(*)::int AS n FROM audit.checkpoints`)).rows[0].n;

    console.log(`machine:              ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' / ')} (1/5/15 min)`);
    console.log(`events:               ${TOTAL}`);
    console.log(`enqueued (addBulk):   ${enqueuedMs.toFixed(0)} ms, queue paused`);
    console.log(`drained after resume: ${drainedMs.toFixed(0)} ms`);
    console.log(`sustained throughput: ${Math.round((TOTAL / drainedMs) * 1000)} events/s (queue -> Postgres, hash-chained)`);
    console.log(`worker CPU:           ${workerCpuMs.toFixed(0)} ms (${((workerCpuMs * 1000) / TOTAL).toFixed(0)} µs per event, ${((workerCpuMs / drainedMs) * 100).toFixed(0)}% of one core)`);
    console.log(`batches written:      ${batches} (mean ${(TOTAL / batches).toFixed(0)} events, ${(writeMs / batches).toFixed(1)} ms each; ${writeMs.toFixed(0)} ms in Postgres transactions)`);
    console.log(`checkpoints signed:   ${checkpoints}`);
    console.log(`verify:               ${JSON.stringify(verify)} in ${verifyMs.toFixed(0)} ms (${Math.round((TOTAL / verifyMs) * 1000)} rows/s)`);
  } finally {
    await worker.stop();
    await queue.close();
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
