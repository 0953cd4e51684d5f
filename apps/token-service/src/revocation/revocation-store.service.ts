/**
 * Revoked access tokens, by `jti` (RFC 7009). Enforces:
 * - Redis is the fast path: `<prefix>:revoked:<jti>` expiring when the token does (on a
 *   Redis Cluster `{<prefix>:revoked}:<jti>`: the marks and their sync marker share one
 *   slot, so one MGET reads both and a lost shard loses the marker with the marks);
 *   Postgres (`token.revoked_tokens`) is the durable copy;
 * - a revocation is written to Redis first, then Postgres: if either fails the caller
 *   answers 503 and the client retries (revoking twice is harmless);
 * - a Redis that lost its data (restart without persistence, flush) is noticed by its
 *   missing sync marker key: the check then asks Postgres, and Redis is refilled from
 *   Postgres (also at start and every 30 s);
 * - when Redis does not answer, the check asks Postgres; when neither answers it throws
 *   (fail closed: a token is never reported active unchecked).
 */
import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { RequestLogger, type LoggedRequest } from '@trust-broker/service-kit/logging';
import { keyspaceOf, ReplicationBarrier, waitForRedis, type RedisClient } from '@trust-broker/service-kit/redis';
import { TOKEN_SERVICE_CONFIG, type TokenServiceConfig } from '../config/token-service.config';
import { REQUEST_REDIS } from '../redis/redis.module';
import { RevocationStoreUnavailableError } from './revocation.errors';

/** How often a replica checks that Redis still holds the revocations. */
const RESYNC_CHECK_INTERVAL_MS = 30_000;
const STARTUP_REDIS_WAIT_MS = 5000;
/** A revocation mark outlives the token by a little, for replicas whose clocks run behind. */
const MARK_MARGIN_MS = 60_000;

export interface RevocationRecord {
  jti: string;
  /** The token's `exp`, in seconds. */
  expiresAt: number;
  clientId: string | null;
}

@Injectable()
export class RevocationStore implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new RequestLogger('RevocationStore');
  private timer: NodeJS.Timeout | undefined;
  private resyncInFlight: Promise<number | undefined> | undefined;
  /** `<prefix>:revoked`, or `{<prefix>:revoked}` on a cluster: marks and sync marker in one slot. */
  private readonly stem: string;
  /** With REDIS_WAIT_REPLICAS: a new mark is on that many replicas before the revocation is answered. */
  private readonly replicated: ReplicationBarrier;

  constructor(
    @Inject(TOKEN_SERVICE_CONFIG) config: Pick<TokenServiceConfig, 'redisPrefix' | 'redisCluster'> & Partial<Pick<TokenServiceConfig, 'redisWait'>>,
    @Inject(REQUEST_REDIS) private readonly redis: RedisClient,
    @Inject(DataSource) private readonly dataSource: DataSource,
  ) {
    this.stem = keyspaceOf(config).group('revoked');
    const wait = config.redisWait ?? { replicas: 0, timeoutMs: 0 };
    this.replicated = new ReplicationBarrier(redis, wait.replicas, wait.timeoutMs);
  }

  async onModuleInit(): Promise<void> {
    // The request connection queues nothing while it connects: wait for it, briefly.
    await waitForRedis(this.redis, STARTUP_REDIS_WAIT_MS)
      .then(() => this.resyncIfLost())
      .catch((error: Error) => this.logger.warn(undefined, `revocations not restored to Redis yet: ${error.message}`));
    this.timer = setInterval(() => {
      this.resyncIfLost().catch((error: Error) => this.logger.warn(undefined, `revocation resync failed: ${error.message}`));
    }, RESYNC_CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
    this.replicated.close();
  }

  async revoke(record: RevocationRecord): Promise<void> {
    try {
      await this.redis.set(this.markKey(record.jti), '1', 'PXAT', record.expiresAt * 1000 + MARK_MARGIN_MS);
      // A failover must not forget it while the sync marker (older, replicated) says Redis holds every revocation.
      await this.replicated.afterWrite(this.markKey(record.jti));
      await this.dataSource.query(
        `INSERT INTO token.revoked_tokens (jti, expires_at, client_id) VALUES ($1, to_timestamp($2), $3) ON CONFLICT (jti) DO NOTHING`,
        [record.jti, record.expiresAt, record.clientId],
      );
    } catch (cause) {
      throw new RevocationStoreUnavailableError((cause as Error).message, cause);
    }
  }

  /** `request`: the request that asks, named by the lines of a resync it sets off. */
  async isRevoked(jti: string, request?: LoggedRequest): Promise<boolean> {
    let mark: string | null;
    let synced: string | null;
    try {
      // One round trip: the mark, and the marker that says Redis still holds every revocation.
      [mark, synced] = await this.redis.mget(this.markKey(jti), this.syncMarkerKey());
    } catch (redisError) {
      return this.isRevokedInPostgres(jti, redisError);
    }
    if (mark !== null) return true;
    if (synced !== null) return false;
    // Redis lost its data since the last sync: ask the durable copy, and refill Redis.
    this.resyncIfLost(request).catch((error: Error) => this.logger.warn(request, `revocation resync failed: ${error.message}`));
    return this.isRevokedInPostgres(jti, undefined);
  }

  private async isRevokedInPostgres(jti: string, redisError: unknown): Promise<boolean> {
    try {
      const rows: unknown[] = await this.dataSource.query('SELECT 1 FROM token.revoked_tokens WHERE jti = $1', [jti]);
      return rows.length > 0;
    } catch (cause) {
      throw new RevocationStoreUnavailableError((cause as Error).message, redisError ?? cause);
    }
  }

  /**
   * Refills Redis from Postgres when the sync marker is missing; purges expired rows. Returns
   * how many were restored. Its lines name `request`, the request that set it off, if any.
   */
  async resyncIfLost(request?: LoggedRequest): Promise<number | undefined> {
    this.resyncInFlight ??= this.restoreIfMarkerMissing(request).finally(() => {
      this.resyncInFlight = undefined;
    });
    return this.resyncInFlight;
  }

  private async restoreIfMarkerMissing(request: LoggedRequest | undefined): Promise<number | undefined> {
    if ((await this.redis.exists(this.syncMarkerKey())) === 1) return undefined;
    await this.dataSource.query(`DELETE FROM token.revoked_tokens WHERE expires_at < now() - interval '1 minute'`);
    const rows: Array<{ jti: string; expires_ms: string }> = await this.dataSource.query(
      `SELECT jti, (extract(epoch FROM expires_at) * 1000)::bigint AS expires_ms FROM token.revoked_tokens`,
    );
    const pipeline = this.redis.pipeline();
    for (const row of rows) pipeline.set(this.markKey(row.jti), '1', 'PXAT', Number(row.expires_ms) + MARK_MARGIN_MS);
    pipeline.set(this.syncMarkerKey(), new Date().toISOString());
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([error]) => error);
    if (failed) throw failed[0]!;
    if (rows.length > 0) this.logger.log(request, `restored ${rows.length} revocations to Redis`);
    return rows.length;
  }

  private markKey(jti: string): string {
    return `${this.stem}:${jti}`;
  }

  private syncMarkerKey(): string {
    return `${this.stem}-sync`;
  }
}
