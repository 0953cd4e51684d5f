import { randomUUID } from 'node:crypto';
import { eventually } from '@trust-broker/testing';
import { prepareEvent, toChainEvent, type PreparedEvent } from '../audit-chain/chain-event';
import type { AppendResult } from '../audit-chain/chain-writer';
import { BatcherStoppedError, EventBatcher, EventRejectedError, refusedForContent } from './event-batcher';

const event = () => prepareEvent(toChainEvent({ id: randomUUID(), type: 'token', occurred_at: '2026-01-01T00:00:00Z', outcome: 'success' }));
const ok = (events: PreparedEvent[]): AppendResult => ({ written: events.length, duplicates: 0, headSeq: 0, checkpointed: false });

describe('EventBatcher', () => {
  it('writes full batches at once and resolves each event only after its batch is written', async () => {
    const batches: number[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const batcher = new EventBatcher(
      async (events) => {
        batches.push(events.length);
        if (batches.length === 1) await gate;
        return ok(events);
      },
      { batchSize: 3, waitMs: 60_000, retryMaxMs: 10, maxInFlight: 1 },
    );
    let settled = 0;
    const adds = Array.from({ length: 7 }, () => batcher.add(event()).then(() => (settled += 1)));
    await eventually(async () => batches.length === 1);
    expect(settled).toBe(0); // the first batch is not committed yet
    release();
    await eventually(async () => batches.length === 2 && settled === 6);
    // The 7th waits for a full batch or the wait time; stop writes it.
    await batcher.stop();
    await Promise.all(adds);
    expect(batches).toEqual([3, 3, 1]);
  });

  it('keeps up to maxInFlight writes going at once, never more', async () => {
    let running = 0;
    let most = 0;
    const batcher = new EventBatcher(
      async (events) => {
        running += 1;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 20));
        running -= 1;
        return ok(events);
      },
      { batchSize: 2, waitMs: 1, retryMaxMs: 10, maxInFlight: 2 },
    );
    await Promise.all(Array.from({ length: 12 }, () => batcher.add(event())));
    expect(most).toBe(2);
  });

  it('splits a batch job larger than a write batch over every free write slot at once', async () => {
    const batches: number[] = [];
    let running = 0;
    let most = 0;
    const batcher = new EventBatcher(
      async (events) => {
        batches.push(events.length);
        running += 1;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 20));
        running -= 1;
        return ok(events);
      },
      { batchSize: 3, waitMs: 5, retryMaxMs: 10, maxInFlight: 2 },
    );
    const promises = batcher.addMany(Array.from({ length: 7 }, () => event()));
    expect(promises).toHaveLength(7);
    expect(batches).toEqual([3, 3]); // both slots taken synchronously
    await Promise.all(promises);
    expect(batches).toEqual([3, 3, 1]);
    expect(most).toBe(2);
  });

  it('writes a partial batch after waitMs', async () => {
    const batches: number[] = [];
    const batcher = new EventBatcher(async (events) => (batches.push(events.length), ok(events)), { batchSize: 100, waitMs: 20, retryMaxMs: 10, maxInFlight: 2 });
    await Promise.all([batcher.add(event()), batcher.add(event())]);
    expect(batches).toEqual([2]);
  });

  it('retries a failed write with backoff until it succeeds, and keeps the events pending meanwhile', async () => {
    let attempts = 0;
    const batcher = new EventBatcher(
      async (events) => {
        attempts += 1;
        if (attempts < 4) throw new Error('connect ECONNREFUSED');
        return ok(events);
      },
      { batchSize: 10, waitMs: 1, retryMaxMs: 20, maxInFlight: 2 },
    );
    await batcher.add(event());
    expect(attempts).toBe(4);
  });

  it('on stop, a failing write rejects its events and new events are refused', async () => {
    const batcher = new EventBatcher(
      async () => {
        throw new Error('down');
      },
      { batchSize: 10, waitMs: 1, retryMaxMs: 20, maxInFlight: 2 },
    );
    const pending = batcher.add(event());
    pending.catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 30));
    await batcher.stop();
    await expect(pending).rejects.toThrow('down');
    await expect(batcher.add(event())).rejects.toBeInstanceOf(BatcherStoppedError);
  });
});

describe('an event that Postgres refuses for its content', () => {
  it.each([
    [{ code: '54000' }, '54000'],
    [{ code: '22021' }, '22021'],
    [{ code: '23505' }, undefined],
    [{ code: '57P01' }, undefined],
    [{ code: '08006' }, undefined],
    [{ code: 'ECONNREFUSED' }, undefined],
    [new Error('timeout'), undefined],
  ])('%j is refused for content: %s', (error, expected) => {
    expect(refusedForContent(error)).toBe(expected);
  });

  it('fails alone: the rest of its batch is written', async () => {
    const culprit = event();
    const written: string[] = [];
    const batcher = new EventBatcher(
      async (events) => {
        if (events.some((e) => e === culprit)) throw Object.assign(new Error('index row size exceeds maximum'), { code: '54000' });
        written.push(...events.map((e) => e.event.id));
        return ok(events);
      },
      { batchSize: 5, waitMs: 1, retryMaxMs: 10, maxInFlight: 2 },
    );
    const others = Array.from({ length: 4 }, () => event());
    const results = await Promise.allSettled([...others, culprit].map((e) => batcher.add(e)));
    expect(results.slice(0, 4).every((r) => r.status === 'fulfilled')).toBe(true);
    expect(results[4]).toMatchObject({ status: 'rejected', reason: expect.any(EventRejectedError) });
    expect((results[4] as PromiseRejectedResult).reason.message).toBe('audit event refused by Postgres (SQLSTATE 54000)');
    expect(written.sort()).toEqual(others.map((e) => e.event.id).sort());
  });
});
