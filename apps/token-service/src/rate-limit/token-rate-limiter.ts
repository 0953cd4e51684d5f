/**
 * Window counters in Redis, shared by every replica: one counter per scope (client,
 * address); a window opens at the first request of a subject and lasts RATE_LIMIT_WINDOW_S.
 * Claimed client ids are hashed so that a huge one never makes a huge key (a peer address
 * is short: used as it is, no hash per request). The script runs by its SHA (EVALSHA,
 * ioredis `defineCommand`), not sent whole with every request. Redis errors are the
 * caller's to handle.
 */
import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { keyspaceOf, type RedisClient, type RedisKeyspace } from '@trust-broker/service-kit/redis';
import { TOKEN_SERVICE_CONFIG, type TokenServiceConfig } from '../config/token-service.config';
import { REQUEST_REDIS } from '../redis/redis.module';
import type { RateLimitScope } from './rate-limit.errors';

const COMMAND = 'tokenRateLimitIncrement';
/**
 * The same script with one key, declared as such: on a Redis Cluster ioredis routes and
 * auto-pipelines a command by its declared keys, and a count passed as the first argument
 * would be taken for a key (its pipeline then fails: "All keys in the pipeline should
 * belong to the same slots allocation group", failing the replay marks sent with it).
 */
const ONE_KEY_COMMAND = 'tokenRateLimitIncrementOneKey';

/** INCR each key, give it its expiry on first use, answer count and time left, in one round trip. */
const INCREMENT_SCRIPT = `
local answers = {}
for i, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  if count == 1 then redis.call('PEXPIRE', key, ARGV[1]) end
  answers[2 * i - 1] = count
  answers[2 * i] = redis.call('PTTL', key)
end
return answers`;

export interface RateLimitSubject {
  scope: RateLimitScope;
  id: string;
}

export interface RateLimitVerdict {
  /** The first scope over its limit, if any. */
  exceeded?: RateLimitScope;
  /** Whole seconds until the exceeded window ends (at least 1). */
  retryAfterS: number;
}

type IncrementCommand = (numberOfKeys: number, ...keysThenWindowMs: string[]) => Promise<number[]>;
type OneKeyIncrementCommand = (key: string, windowMs: string) => Promise<number[]>;

@Injectable()
export class TokenRateLimiter {
  private readonly increment: IncrementCommand;
  private readonly incrementOne: OneKeyIncrementCommand;
  private readonly keys: RedisKeyspace;

  constructor(
    @Inject(TOKEN_SERVICE_CONFIG) private readonly config: TokenServiceConfig,
    @Inject(REQUEST_REDIS) redis: RedisClient,
  ) {
    this.keys = keyspaceOf(config);
    // The number of keys varies (1 or 2): passed first on each call.
    if (!(COMMAND in redis)) redis.defineCommand(COMMAND, { lua: INCREMENT_SCRIPT });
    const command = (redis as unknown as Record<string, IncrementCommand>)[COMMAND]!;
    this.increment = command.bind(redis);
    if (!(ONE_KEY_COMMAND in redis)) redis.defineCommand(ONE_KEY_COMMAND, { numberOfKeys: 1, lua: INCREMENT_SCRIPT });
    this.incrementOne = (redis as unknown as Record<string, OneKeyIncrementCommand>)[ONE_KEY_COMMAND]!.bind(redis);
  }

  limitOf(scope: RateLimitScope): number {
    return scope === 'client' ? this.config.rateLimit.perClient : this.config.rateLimit.perAddress;
  }

  /** Counts one request against every subject whose limit is on (> 0). */
  async consume(subjects: RateLimitSubject[]): Promise<RateLimitVerdict> {
    const windowMs = this.config.rateLimit.windowS * 1000;
    const counted = subjects.filter((subject) => this.limitOf(subject.scope) > 0);
    if (counted.length === 0) return { retryAfterS: 0 };
    const keys = counted.map((subject) => this.keys.key(`rate-limit:${subject.scope}:${keyPart(subject)}`));
    const answers = this.keys.cluster
      ? // A script's keys must share a slot on a cluster: one call per key, pipelined to each shard.
        (await Promise.all(keys.map((key) => this.incrementOne(key, String(windowMs))))).flat()
      : await this.increment(keys.length, ...keys, String(windowMs));
    const index = counted.findIndex((subject, i) => answers[2 * i]! > this.limitOf(subject.scope));
    if (index < 0) return { retryAfterS: 0 };
    const leftMs = answers[2 * index + 1]!;
    return { exceeded: counted[index]!.scope, retryAfterS: Math.max(1, Math.ceil((leftMs > 0 ? leftMs : windowMs) / 1000)) };
  }
}

/** Peer addresses (at most 45 characters) as they are; anything long, i.e. a claimed client id, hashed. */
function keyPart(subject: RateLimitSubject): string {
  return subject.scope === 'address' && subject.id.length <= 64 ? subject.id : hash(subject.id);
}

function hash(id: string): string {
  return createHash('sha256').update(id).digest('base64url').slice(0, 32);
}
