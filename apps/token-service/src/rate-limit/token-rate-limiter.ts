/**
 * Window counters in Redis, shared by every replica: one counter per scope (client,
 * address); a window opens at the first request of a subject and lasts RATE_LIMIT_WINDOW_S.
 * Ids are hashed so that a huge claimed client_id never makes a huge key. Redis errors
 * are the caller's to handle.
 */
import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { TOKEN_SERVICE_CONFIG, type TokenServiceConfig } from '../config/token-service.config';
import { REQUEST_REDIS } from '../redis/redis.module';
import type { RateLimitScope } from './rate-limit.errors';

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

@Injectable()
export class TokenRateLimiter {
  constructor(
    @Inject(TOKEN_SERVICE_CONFIG) private readonly config: TokenServiceConfig,
    @Inject(REQUEST_REDIS) private readonly redis: Redis,
  ) {}

  limitOf(scope: RateLimitScope): number {
    return scope === 'client' ? this.config.rateLimit.perClient : this.config.rateLimit.perAddress;
  }

  /** Counts one request against every subject whose limit is on (> 0). */
  async consume(subjects: RateLimitSubject[]): Promise<RateLimitVerdict> {
    const windowMs = this.config.rateLimit.windowS * 1000;
    const counted = subjects.filter((subject) => this.limitOf(subject.scope) > 0);
    if (counted.length === 0) return { retryAfterS: 0 };
    const keys = counted.map((subject) => `${this.config.redisPrefix}:rate-limit:${subject.scope}:${hash(subject.id)}`);
    const answers = (await this.redis.eval(INCREMENT_SCRIPT, keys.length, ...keys, String(windowMs))) as number[];
    const index = counted.findIndex((subject, i) => answers[2 * i]! > this.limitOf(subject.scope));
    if (index < 0) return { retryAfterS: 0 };
    const leftMs = answers[2 * index + 1]!;
    return { exceeded: counted[index]!.scope, retryAfterS: Math.max(1, Math.ceil((leftMs > 0 ? leftMs : windowMs) / 1000)) };
  }
}

function hash(id: string): string {
  return createHash('sha256').update(id).digest('base64url').slice(0, 32);
}
