/**
 * Detects that the replay store lost marks, so that no assertion replays through the gap.
 * Each bucket of the store (replay-keys.ts) holds an epoch hash: `id`, `loss_at` (ms, 0 for
 * none) and `seq` (incremented by every mark). Enforces:
 * - a bucket without its epoch, in a store this deployment has initialised (a row in
 *   `token.replay_stores`, Postgres), lost everything (FLUSHALL, a restart without AOF, a
 *   failover to an empty replica): a new epoch is written with `loss_at` = now;
 * - a `seq` lower than one this process already saw under the same epoch went back in time
 *   (a failover to a replica that lagged): the same;
 * - a store never initialised (a new deployment or `REDIS_PREFIX`) gets epochs with
 *   `loss_at` 0 in every bucket before the row is written, so no process takes the first
 *   start for a loss;
 * - the mark script (replay-guard.service.ts) refuses, as `state_lost`, an assertion that
 *   could have been accepted before `loss_at`: its first use may be among the lost marks.
 * Replacing an epoch is compare-and-set on its `id`: processes that detect one loss
 * together agree on one `loss_at`.
 */
import { randomUUID } from 'node:crypto';
import { RequestLogger, type LoggedRequest } from '@trust-broker/service-kit/logging';
import type { RedisClient } from '@trust-broker/service-kit/redis';
import type { DataSource } from 'typeorm';
import { epochKey, REPLAY_BUCKETS } from './replay-keys';

const REPLACE_COMMAND = 'replayEpochReplace';

/** Replaces the epoch when its id is still the expected one ('' for none); answers the epoch held after. */
const REPLACE_SCRIPT = `
local id = redis.call('HGET', KEYS[1], 'id')
if (id or '') == ARGV[1] then
  redis.call('HSET', KEYS[1], 'id', ARGV[2], 'loss_at', ARGV[3])
end
return redis.call('HMGET', KEYS[1], 'id', 'loss_at')`;

type ReplaceCommand = (epochKey: string, expectedId: string, newId: string, lossAtMs: string) => Promise<[string | null, string | null]>;

export interface EpochAnswer {
  id: string;
  seq: number;
}

export class ReplayEpochs {
  private readonly logger = new RequestLogger(ReplayEpochs.name);
  private readonly replace: ReplaceCommand;
  /** Per bucket: the epoch id and the highest `seq` this process saw under it. */
  private readonly seen = new Map<number, EpochAnswer>();
  private initialised = false;
  private readonly pending = new Map<number, Promise<void>>();

  constructor(
    redis: RedisClient,
    private readonly db: DataSource,
    private readonly prefix: string,
    private readonly now: () => number = Date.now,
  ) {
    if (!(REPLACE_COMMAND in redis)) redis.defineCommand(REPLACE_COMMAND, { numberOfKeys: 1, lua: REPLACE_SCRIPT });
    this.replace = (redis as unknown as Record<string, ReplaceCommand>)[REPLACE_COMMAND]!.bind(redis);
  }

  /**
   * A bucket answered without its epoch: a new store is initialised, a known one has lost
   * its marks. Concurrent requests that found the same bucket empty share one decision
   * (its line names `request`, the first of them).
   */
  onMissingEpoch(bucket: number, request?: LoggedRequest): Promise<void> {
    const pending = this.pending.get(bucket);
    if (pending) return pending;
    const decision = this.decideMissingEpoch(bucket, request).finally(() => this.pending.delete(bucket));
    this.pending.set(bucket, decision);
    return decision;
  }

  private async decideMissingEpoch(bucket: number, request: LoggedRequest | undefined): Promise<void> {
    if (await this.isInitialised()) {
      await this.declareLoss(bucket, '', 'its epoch is gone (FLUSHALL, restart without AOF, or failover to an empty replica)', request);
      return;
    }
    await Promise.all(Array.from({ length: REPLAY_BUCKETS }, (_, b) => this.replace(epochKey(this.prefix, b), '', randomUUID(), '0')));
    await this.db.query(`INSERT INTO token.replay_stores (redis_prefix) VALUES ($1) ON CONFLICT DO NOTHING`, [this.prefix]);
    this.initialised = true;
  }

  /**
   * Checks what a mark answered. When the bucket's `seq` went back under the same epoch
   * (its marks since are lost), the epoch is replaced and its new `loss_at` (ms) returned.
   */
  async onMarkAnswer(bucket: number, answer: EpochAnswer, request?: LoggedRequest): Promise<number | undefined> {
    const before = this.seen.get(bucket);
    if (before && before.id === answer.id && answer.seq <= before.seq) {
      this.seen.delete(bucket);
      return this.declareLoss(bucket, answer.id, `its sequence went back from ${before.seq} to ${answer.seq} (failover to a replica that lagged)`, request);
    }
    return undefined;
  }

  /** The epoch and highest `seq` this process saw for a bucket (the commit script checks against it). */
  lastSeen(bucket: number): EpochAnswer | undefined {
    return this.seen.get(bucket);
  }

  /**
   * Remembers the `seq` of a mark that counts (on REDIS_WAIT_REPLICAS replicas when asked):
   * one that a failover may still take along (503, given back) must not make the
   * promoted replica's lower `seq` look like a loss.
   */
  remember(bucket: number, answer: EpochAnswer): void {
    const before = this.seen.get(bucket);
    if (!before || before.id !== answer.id || answer.seq > before.seq) this.seen.set(bucket, answer);
  }

  private async declareLoss(bucket: number, expectedId: string, why: string, request: LoggedRequest | undefined): Promise<number> {
    const newId = randomUUID();
    const [id, lossAt] = await this.replace(epochKey(this.prefix, bucket), expectedId, newId, String(this.now()));
    const lossAtMs = Number(lossAt ?? this.now());
    // Processes that find one loss together agree on the first one's epoch; it alone says so.
    if (id === newId) {
      this.logger.error(
        request,
        `replay store bucket ${bucket} lost its marks: ${why}; assertions that could have been used before ${new Date(lossAtMs).toISOString()} are refused`,
      );
    }
    return lossAtMs;
  }

  private async isInitialised(): Promise<boolean> {
    if (this.initialised) return true;
    const rows: unknown[] = await this.db.query(`SELECT 1 FROM token.replay_stores WHERE redis_prefix = $1`, [this.prefix]);
    this.initialised = rows.length > 0;
    return this.initialised;
  }
}
