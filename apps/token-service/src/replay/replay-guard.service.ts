/**
 * The replay store (RFC 7523 §3 item 7): a `jti` is recorded once with
 * `SET <prefix>:jti:<namespace>:<sha256(jti)> 1 NX PXAT <(exp + skew) ms>`, atomic across
 * every replica. The `jti` is hashed so attacker-chosen bytes never become key names.
 * Redis unreachable: it throws, and the caller answers 503 (no token without the check).
 */
import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { sha256Hex } from '@trust-broker/secrets';
import type { ReplayGuard } from '@trust-broker/validation';
import { TOKEN_SERVICE_CONFIG, type TokenServiceConfig } from '../config/token-service.config';
import { REQUEST_REDIS } from '../redis/redis.module';
import { ReplayStoreUnavailableError } from './replay.errors';

/** A key must outlive the request by at least this much, even for an assertion about to expire. */
const MIN_RETENTION_MS = 1000;

@Injectable()
export class ReplayGuardService implements ReplayGuard {
  constructor(
    @Inject(REQUEST_REDIS) private readonly redis: Redis,
    @Inject(TOKEN_SERVICE_CONFIG) private readonly config: TokenServiceConfig,
  ) {}

  /** `keepUntilSeconds`: the assertion's `exp` plus its party's clock skew (the rule engine computes it). */
  async markUsed(namespace: string, jti: string, keepUntilSeconds: number): Promise<boolean> {
    const keepUntil = Math.max(Math.ceil(keepUntilSeconds * 1000), Date.now() + MIN_RETENTION_MS);
    let answer: string | null;
    try {
      answer = await this.redis.set(this.key(namespace, jti), '1', 'PXAT', keepUntil, 'NX');
    } catch (cause) {
      throw new ReplayStoreUnavailableError((cause as Error).message, cause);
    }
    return answer === 'OK';
  }

  /**
   * Gives a `jti` back (only for one this request marked and then issued no token for; see
   * ReplayLedger). Best effort: false when Redis did not delete it, and then it stays used.
   */
  async release(namespace: string, jti: string): Promise<boolean> {
    try {
      return (await this.redis.del(this.key(namespace, jti))) === 1;
    } catch {
      return false;
    }
  }

  private key(namespace: string, jti: string): string {
    return `${this.config.redisPrefix}:jti:${namespace}:${sha256Hex(jti)}`;
  }
}
