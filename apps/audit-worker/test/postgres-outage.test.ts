/**
 * Postgres unreachable for a while under a steady stream of events: the worker keeps the
 * jobs, retries with backoff, reports not ready, and once Postgres is back every event
 * arrives exactly once and the chain is intact.
 */
import { eventually, TcpProxy } from '@trust-broker/testing';
import { makeEvent } from './fixtures';
import { WorkerHarness, readMetric } from './worker-harness';

jest.setTimeout(240_000);

describe('Postgres unreachable under a stream of events', () => {
  let harness: WorkerHarness;
  let proxy: TcpProxy;
  beforeAll(async () => {
    harness = await WorkerHarness.create('outage');
    proxy = await TcpProxy.start('127.0.0.1', Number(new URL(harness.db.url).port || 5432));
  });
  afterAll(async () => {
    await proxy.cut();
    await harness.close();
  });

  it('delivers every event once when it is back', async () => {
    const viaProxy = new URL(harness.db.url);
    viaProxy.port = String(proxy.port);
    const worker = await harness.startWorker({ DATABASE_URL: viaProxy.toString(), AUDIT_DB_RETRY_MAX_MS: '500', AUDIT_BATCH_SIZE: '50' });

    let sent = 0;
    let streaming = true;
    const stream = (async () => {
      while (streaming) {
        const burst = Array.from({ length: 20 }, () => makeEvent());
        await harness.enqueue(burst);
        sent += burst.length;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();

    await eventually(async () => (await harness.storedCounts()).rows >= 40, 60_000, 50);
    await proxy.cut();
    const storedAtCut = (await harness.storedCounts()).rows;
    await eventually(async () => (await fetch(`${worker.url}/readyz`)).status === 503, 30_000, 200);
    await eventually(async () => (await readMetric(worker, 'audit_batch_write_failures_total')) >= 3, 30_000, 200);
    const sentDuringOutage = sent;
    await proxy.restore();
    await eventually(async () => (await fetch(`${worker.url}/readyz`)).status === 200, 60_000, 200);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    streaming = false;
    await stream;

    expect(sentDuringOutage).toBeGreaterThan(storedAtCut); // events really waited for Postgres
    await eventually(async () => (await harness.storedCounts()).rows === sent, 120_000, 200);
    expect(await harness.storedCounts()).toEqual({ rows: sent, ids: sent, top: sent });
    expect(await harness.deadLetters()).toEqual([]);
    expect(await harness.verify(worker)).toMatchObject({ intact: true, checked: sent, broken_at: null, reason: null, full: true });
  });
});
