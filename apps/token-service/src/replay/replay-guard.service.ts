/**
 * The replay store (RFC 7523 §3 item 7): a `jti` is recorded once, atomically across every
 * replica, by one Lua script per mark that also checks its bucket's epoch
 * (replay-epochs.ts) in the same round trip:
 *   epoch gone → `missing` (nothing written; the store is initialised or the loss declared,
 *   then the script runs once more); the assertion usable before the epoch's `loss_at` →
 *   `lost` (nothing written); else `SET <mark> 1 NX PXAT <keepUntil ms>` → `first` | `replay`,
 *   with the epoch's id and its `seq`, incremented.
 * The mark is kept until the rule engine's `keepUntil` (the first second its time rules
 * refuse the assertion), and at least MIN_RETENTION_MS. Redis or Postgres (only asked on
 * a missing epoch) unreachable: it throws, and the caller answers 503.
 * With REDIS_WAIT_REPLICAS a new mark counts only once that many replicas hold it (WAIT,
 * group-committed; README "Redis keys"): a failover then has nothing to lose, and the
 * epochs stay the net for what WAIT cannot promise.
 */
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ReplicationBarrier, type RedisClient } from '@trust-broker/service-kit/redis';
import type { ReplayGuard, ReplayVerdict } from '@trust-broker/validation';
import { TOKEN_SERVICE_CONFIG, type TokenServiceConfig } from '../config/token-service.config';
import { REQUEST_REDIS } from '../redis/redis.module';
import { ReplayEpochs, type EpochAnswer } from './replay-epochs';
import { replayKeys } from './replay-keys';
import { ReplayStoreUnavailableError } from './replay.errors';

/** A key must outlive the request by at least this much, even for an assertion about to expire. */
const MIN_RETENTION_MS = 1000;
const MARK_COMMAND = 'replayMark';

const MARK_SCRIPT = `
local epoch = redis.call('HMGET', KEYS[1], 'id', 'loss_at')
if not epoch[1] then return {'missing'} end
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
if tonumber(ARGV[2]) < tonumber(epoch[2]) then return {'lost', epoch[1], seq} end
local set = redis.call('SET', KEYS[2], '1', 'NX', 'PXAT', ARGV[1])
if set then return {'first', epoch[1], seq} end
return {'replay', epoch[1], seq}`;

type MarkAnswer = ['missing'] | ['lost' | 'first' | 'replay', string, number];
type MarkCommand = (epochKey: string, markKey: string, keepUntilMs: string, usableSinceMs: string) => Promise<MarkAnswer>;

@Injectable()
export class ReplayGuardService implements ReplayGuard, OnModuleDestroy {
  private readonly mark: MarkCommand;
  private readonly epochs: ReplayEpochs;
  private readonly replicated: ReplicationBarrier;

  constructor(
    @Inject(REQUEST_REDIS) private readonly redis: RedisClient,
    @Inject(TOKEN_SERVICE_CONFIG) private readonly config: TokenServiceConfig,
    @Inject(DataSource) db: DataSource,
  ) {
    if (!(MARK_COMMAND in redis)) redis.defineCommand(MARK_COMMAND, { numberOfKeys: 2, lua: MARK_SCRIPT });
    this.mark = (redis as unknown as Record<string, MarkCommand>)[MARK_COMMAND]!.bind(redis);
    this.epochs = new ReplayEpochs(redis, db, config.redisPrefix);
    const wait = config.redisWait ?? { replicas: 0, timeoutMs: 0 };
    this.replicated = new ReplicationBarrier(redis, wait.replicas, wait.timeoutMs);
  }

  onModuleDestroy(): void {
    this.replicated.close();
  }

  /** Times in seconds since the epoch, as the rule engine gives them (`record-jti.ts`). */
  async markUsed(namespace: string, jti: string, keepUntil: number, usableSince: number): Promise<ReplayVerdict> {
    const keys = replayKeys(this.config.redisPrefix, namespace, jti);
    const keepUntilMs = String(Math.max(Math.ceil(keepUntil * 1000), Date.now() + MIN_RETENTION_MS));
    const usableSinceMs = String(Math.floor(usableSince * 1000));
    let epoch: EpochAnswer;
    try {
      let answer = await this.mark(keys.epoch, keys.mark, keepUntilMs, usableSinceMs);
      if (answer[0] === 'missing') {
        await this.epochs.onMissingEpoch(keys.bucket);
        answer = await this.mark(keys.epoch, keys.mark, keepUntilMs, usableSinceMs);
        if (answer[0] === 'missing') throw new Error('the replay epoch vanished again');
      }
      const [verdict, id, seq] = answer;
      epoch = { id, seq: Number(seq) };
      const lossAt = await this.epochs.onMarkAnswer(keys.bucket, epoch);
      // A loss found by this very answer: its mark may be among the lost ones' replays.
      if (lossAt !== undefined && Number(usableSinceMs) < lossAt) return 'state_lost';
      if (verdict !== 'first') return verdict === 'lost' ? 'state_lost' : false;
    } catch (cause) {
      throw new ReplayStoreUnavailableError((cause as Error).message, cause);
    }
    try {
      await this.replicated.afterWrite(keys.mark);
    } catch (cause) {
      // Not on enough replicas in time: a failover could forget it. Give it back and answer 503.
      await this.redis.del(keys.mark).catch(() => undefined);
      throw new ReplayStoreUnavailableError((cause as Error).message, cause);
    }
    this.epochs.remember(keys.bucket, epoch);
    return true;
  }

  /**
   * Gives a `jti` back (only for one this request marked and then issued no token for; see
   * ReplayLedger). Best effort: false when Redis did not delete it, and then it stays used.
   */
  async release(namespace: string, jti: string): Promise<boolean> {
    try {
      return (await this.redis.del(replayKeys(this.config.redisPrefix, namespace, jti).mark)) === 1;
    } catch {
      return false;
    }
  }
}
