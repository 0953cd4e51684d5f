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
 *
 * `commit` is the jwt-bearer grant's one round trip (ReplayLedger defers its marks to the
 * end of the request): ONE script checks every mark's epoch as above (and a `seq` at or
 * below the one this process saw: a failover that went back), refuses if any mark exists,
 * and only then appends the success audit event (XADD to the audit stream shard of the
 * first mark's bucket: one hash slot) and sets the marks (`SET PXAT`). Refused, lost or
 * failed, it writes nothing but the epochs' `seq`. On a cluster, marks of another bucket
 * (another slot) are recorded first by the mark script (ReplayLedger).
 */
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AUDIT_STREAM_FIELD, auditStreamKey } from '@trust-broker/contracts';
import type { LoggedRequest } from '@trust-broker/service-kit/logging';
import { ReplicationBarrier, type RedisClient } from '@trust-broker/service-kit/redis';
import type { AssertionKind, ReplayGuard, ReplayVerdict } from '@trust-broker/validation';
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

const COMMIT_COMMAND = 'replayCommit';

/**
 * KEYS: the audit stream shard, then per mark its epoch and its key. ARGV: the entry's field
 * and value, the number of marks, then per mark: keep-until ms, usable-since ms, and the
 * epoch id and `seq` this process last saw in its bucket ('' and -1 for none).
 * Answers {'missing', i} | {'back', i, id, seq} (nothing decided) or {'done', per mark:
 * verdict, epoch id, seq; then the entry id when every verdict is 'first'}.
 */
const COMMIT_SCRIPT = `
local n = tonumber(ARGV[3])
local answer = {'done'}
local refused = false
for i = 1, n do
  local base = 3 + (i - 1) * 4
  local epoch = redis.call('HMGET', KEYS[2 * i], 'id', 'loss_at')
  if not epoch[1] then return {'missing', i} end
  local seq = redis.call('HINCRBY', KEYS[2 * i], 'seq', 1)
  if epoch[1] == ARGV[base + 3] and seq <= tonumber(ARGV[base + 4]) then return {'back', i, epoch[1], seq} end
  local verdict = 'first'
  if tonumber(ARGV[base + 2]) < tonumber(epoch[2]) then
    verdict = 'lost'
    refused = true
  elseif redis.call('EXISTS', KEYS[2 * i + 1]) == 1 then
    verdict = 'replay'
    refused = true
  end
  answer[#answer + 1] = verdict
  answer[#answer + 1] = epoch[1]
  answer[#answer + 1] = seq
end
if refused then return answer end
answer[#answer + 1] = redis.call('XADD', KEYS[1], '*', ARGV[1], ARGV[2])
for i = 1, n do
  redis.call('SET', KEYS[2 * i + 1], '1', 'PXAT', ARGV[3 + (i - 1) * 4 + 1])
end
return answer`;

type MarkAnswer = ['missing'] | ['lost' | 'first' | 'replay', string, number];
type CommitAnswer = ['missing', number] | ['back', number, string, number] | ['done', ...Array<string | number>];
type CommitCommand = (...keysAndArgs: string[]) => Promise<CommitAnswer>;

/** A `jti` whose mark waits for the end of the request (ReplayLedger), with the kind of JWT that carried it. */
export interface DeferredMark {
  namespace: string;
  jti: string;
  /** As `markUsed` takes them: seconds since the epoch. */
  keepUntil: number;
  usableSince: number;
  kind: AssertionKind;
}

/** What `commit` decided: everything written, or the first mark refused (nothing written). */
export type CommitOutcome = { committed: true } | { committed: false; mark: DeferredMark; verdict: false | 'state_lost' };
type MarkCommand = (epochKey: string, markKey: string, keepUntilMs: string, usableSinceMs: string) => Promise<MarkAnswer>;

@Injectable()
export class ReplayGuardService implements ReplayGuard, OnModuleDestroy {
  private readonly mark: MarkCommand;
  /** The commit script per number of marks (see `commitScript`). */
  private readonly commitScripts = new Map<number, CommitCommand>();
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

  /** The replay bucket of a `jti`: marks of one bucket share a hash slot (and an audit stream shard). */
  bucketOf(namespace: string, jti: string): number {
    return replayKeys(this.config.redisPrefix, namespace, jti).bucket;
  }

  /**
   * Records `marks` (one bucket on a cluster) and appends `entry` (the audit stream field's
   * value) in one script; see the file header. Throws ReplayStoreUnavailableError when Redis
   * does not answer or take it (the caller answers 503; nothing was written then).
   */
  async commit(marks: readonly DeferredMark[], entry: string, request?: LoggedRequest): Promise<CommitOutcome> {
    const keyed = marks.map((mark) => ({
      mark,
      keys: replayKeys(this.config.redisPrefix, mark.namespace, mark.jti),
      keepUntilMs: retainUntilMs(mark.keepUntil),
      usableSinceMs: String(Math.floor(mark.usableSince * 1000)),
    }));
    const stream = auditStreamKey(this.config.redisPrefix, keyed[0]!.keys.bucket);
    try {
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const keys = [stream];
        const args = [AUDIT_STREAM_FIELD, entry, String(keyed.length)];
        for (const item of keyed) {
          const seen = this.epochs.lastSeen(item.keys.bucket);
          keys.push(item.keys.epoch, item.keys.mark);
          args.push(item.keepUntilMs, item.usableSinceMs, seen?.id ?? '', String(seen?.seq ?? -1));
        }
        const answer = await this.commitScript(keyed.length)(...keys, ...args);
        if (answer[0] === 'missing') {
          await this.epochs.onMissingEpoch(keyed[Number(answer[1]) - 1]!.keys.bucket, request);
          continue;
        }
        if (answer[0] === 'back') {
          // Declares the loss (a new epoch, `loss_at` now); the next run refuses what it covers.
          await this.epochs.onMarkAnswer(keyed[Number(answer[1]) - 1]!.keys.bucket, { id: String(answer[2]), seq: Number(answer[3]) }, request);
          continue;
        }
        const epochs = keyed.map((_, i) => ({ verdict: String(answer[1 + 3 * i]), id: String(answer[2 + 3 * i]), seq: Number(answer[3 + 3 * i]) }));
        const refused = epochs.findIndex((epoch) => epoch.verdict !== 'first');
        if (refused >= 0) return { committed: false, mark: keyed[refused]!.mark, verdict: epochs[refused]!.verdict === 'lost' ? 'state_lost' : false };
        const entryId = String(answer[1 + 3 * keyed.length]);
        try {
          await this.replicated.afterWrite(stream);
        } catch (cause) {
          // Not on enough replicas in time: a failover could forget it all. Take it back and answer 503.
          await Promise.all([this.redis.xdel(stream, entryId), ...keyed.map((item) => this.redis.del(item.keys.mark))]).catch(() => undefined);
          throw cause;
        }
        keyed.forEach((item, i) => this.epochs.remember(item.keys.bucket, { id: epochs[i]!.id, seq: epochs[i]!.seq }));
        return { committed: true };
      }
      throw new Error('the replay epoch vanished again');
    } catch (cause) {
      throw new ReplayStoreUnavailableError((cause as Error).message, cause);
    }
  }

  /**
   * The script defined with its number of keys (1 + 2 per mark): ioredis routes an
   * auto-pipelined command on a cluster by its first argument, which must then be the
   * stream key, not a key count (a count there put it in another node's pipeline:
   * "All keys in the pipeline should belong to the same slots allocation group").
   */
  private commitScript(marks: number): CommitCommand {
    let command = this.commitScripts.get(marks);
    if (!command) {
      const name = `${COMMIT_COMMAND}${marks}`;
      if (!(name in this.redis)) this.redis.defineCommand(name, { numberOfKeys: 1 + 2 * marks, lua: COMMIT_SCRIPT });
      command = (this.redis as unknown as Record<string, CommitCommand>)[name]!.bind(this.redis);
      this.commitScripts.set(marks, command);
    }
    return command;
  }

  /** Times in seconds since the epoch, as the rule engine gives them (`record-jti.ts`). */
  async markUsed(namespace: string, jti: string, keepUntil: number, usableSince: number, request?: LoggedRequest): Promise<ReplayVerdict> {
    const keys = replayKeys(this.config.redisPrefix, namespace, jti);
    const keepUntilMs = retainUntilMs(keepUntil);
    const usableSinceMs = String(Math.floor(usableSince * 1000));
    let epoch: EpochAnswer;
    try {
      let answer = await this.mark(keys.epoch, keys.mark, keepUntilMs, usableSinceMs);
      if (answer[0] === 'missing') {
        await this.epochs.onMissingEpoch(keys.bucket, request);
        answer = await this.mark(keys.epoch, keys.mark, keepUntilMs, usableSinceMs);
        if (answer[0] === 'missing') throw new Error('the replay epoch vanished again');
      }
      const [verdict, id, seq] = answer;
      epoch = { id, seq: Number(seq) };
      const lossAt = await this.epochs.onMarkAnswer(keys.bucket, epoch, request);
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

/** Until the rule engine's `keepUntil` (seconds), and at least MIN_RETENTION_MS from now. */
function retainUntilMs(keepUntil: number): string {
  return String(Math.max(Math.ceil(keepUntil * 1000), Date.now() + MIN_RETENTION_MS));
}
