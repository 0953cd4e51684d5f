/**
 * `npm run bench:walk -w @trust-broker/audit-worker -- [events] [rounds]`: the full walk of
 * GET /v1/audit/verify in one process, for A/B comparisons on a loaded machine. Fills a fresh
 * database with `events` (130,000) events of the audit bench's shape (checkpoint every 1,000),
 * then walks the whole chain `rounds` (3) times with each walker of BENCH_WALKERS, alternating
 * (`name=path/to/chain-walker.js,...`; default: this build's), and prints per walk the wall
 * time, rows/s, and the CPU per row of this process and of the Postgres backend serving the
 * walk (`/proc/<pid>/stat`). BENCH_DATABASE_URL walks an existing database instead (not filled,
 * not dropped). `--cpu-prof` on node profiles the walks too (the fill runs before them).
 */
import { readFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { PoolClient } from 'pg';
import { runMigrationsWithLock } from '@trust-broker/service-kit/database';
import { parseKeyEncryptionKey } from '@trust-broker/secrets';
import { createTestDatabase, randomKeyEncryptionKey } from '@trust-broker/testing';
import { AUDIT_SCHEMA, createAuditDataSource } from '../src/audit-chain/audit-data-source';
import { GENESIS_HASH, prepareEvent, toChainEvent } from '../src/audit-chain/chain-event';
import type { walkChain as WalkChain } from '../src/audit-chain/chain-walker';
import { ChainWriter } from '../src/audit-chain/chain-writer';
import { SigningKeysService } from '../src/signing-keys/signing-keys.service';
import { benchEvent } from './bench-event';

const EVENTS = Number(process.argv[2] ?? 130_000);
const ROUNDS = Number(process.argv[3] ?? 3);

async function backendCpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, USER_HZ
}

async function main(): Promise<void> {
  const walkers = await Promise.all(
    (process.env.BENCH_WALKERS ?? `now=${join(__dirname, '..', '..', 'dist', 'audit-chain', 'chain-walker.js')}`).split(',').map(async (entry) => {
      const [name, path] = entry.split('=') as [string, string];
      const module = (await import(pathToFileURL(resolve(path)).href)) as { walkChain: typeof WalkChain };
      return { name, walk: module.walkChain };
    }),
  );
  const db = await createTestDatabase('walkbench');
  const dataSource = createAuditDataSource(db.url, 2);
  try {
    await runMigrationsWithLock(dataSource, AUDIT_SCHEMA);
    const signingKeys = new SigningKeysService(dataSource, parseKeyEncryptionKey(randomKeyEncryptionKey()));
    const writer = new ChainWriter(dataSource, await signingKeys.loadActiveKey(undefined), 1000);
    for (let i = 0; i < EVENTS; i += 1000) {
      await writer.append(Array.from({ length: Math.min(1000, EVENTS - i) }, (_, j) => prepareEvent(toChainEvent(benchEvent(i + j + 1)))));
    }
    await dataSource.query(`VACUUM ANALYZE audit.events`);
    const keys = await signingKeys.trustedKeys();
    console.log(`machine: ${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(1)).join(' / ')}`);
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const { name, walk } of walkers) {
        const runner = dataSource.createQueryRunner();
        const client = (await runner.connect()) as PoolClient;
        try {
          await runner.startTransaction('REPEATABLE READ');
          const pid = Number(((await runner.query(`SELECT pg_backend_pid() AS pid`)) as { pid: number }[])[0]!.pid);
          const pgBefore = await backendCpuSeconds(pid);
          const cpuBefore = process.cpuUsage();
          const started = process.hrtime.bigint();
          const result = await walk(client, (sql, params) => runner.query(sql, params), { afterSeq: 0, prevHash: GENESIS_HASH, trustedKeys: keys });
          const ms = Number(process.hrtime.bigint() - started) / 1e6;
          const cpu = process.cpuUsage(cpuBefore);
          const pg = (await backendCpuSeconds(pid)) - pgBefore;
          await runner.commitTransaction();
          const rows = result.walked;
          const perRow = (seconds: number) => `${((seconds * 1e6) / rows).toFixed(2)} µs`;
          console.log(
            `${name.padEnd(8)} ${rows} rows in ${ms.toFixed(0)} ms = ${Math.round((rows / ms) * 1000)} rows/s; CPU per row: node ${perRow((cpu.user + cpu.system) / 1e6)}, ` +
              `postgres ${perRow(pg)}; load ${loadavg()[0]!.toFixed(1)}; broken ${JSON.stringify(result.broken ?? null)}, rechecked ${result.rechecked}`,
          );
          if (result.broken || rows === 0) process.exitCode = 1;
        } finally {
          if (runner.isTransactionActive) await runner.rollbackTransaction();
          await runner.release();
        }
      }
    }
  } finally {
    await dataSource.destroy();
    await db.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
