/**
 * An assertion named a `kid` its party does not hold (CONTRACT.md "Propagation"):
 * enqueue one key-refresh job for issuer-registry (deduplicated per party), then wait up
 * to KEY_REFRESH_WAIT_MS for the party's keys to change in the trust cache (the registry
 * announces `issuer_keys` / `client_keys`). The caller verifies once more if they did.
 */
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Queue } from 'bullmq';
import { DEFAULT_JOB_OPTIONS, keyRefreshDedupId, parseKeyRefreshJob, QUEUES } from '@trust-broker/contracts';
import { RequestLogger, type LoggedRequest } from '@trust-broker/service-kit/logging';
import { keyspaceOf, type RedisClient } from '@trust-broker/service-kit/redis';
import { TOKEN_SERVICE_CONFIG, type TokenServiceConfig } from '../config/token-service.config';
import { QUEUE_PRODUCER_REDIS } from '../redis/redis.module';
import { TrustCache } from '../trust/trust-cache.service';
import type { PartyType } from '../trust/trust.types';

@Injectable()
export class KeyRefreshService implements OnModuleDestroy {
  private readonly logger = new RequestLogger(KeyRefreshService.name);
  private readonly queue: Queue;

  constructor(
    @Inject(TOKEN_SERVICE_CONFIG) private readonly config: TokenServiceConfig,
    @Inject(QUEUE_PRODUCER_REDIS) redis: RedisClient,
    private readonly trust: TrustCache,
  ) {
    this.queue = new Queue(QUEUES.keyRefresh, { connection: redis, prefix: keyspaceOf(config).queuePrefix });
    this.queue.on('error', () => undefined);
  }

  /**
   * Asks the registry for the party's keys and waits for them. Resolves true when the
   * keys changed (verify again), false when they did not in time or the job could not be
   * enqueued (the caller answers `unknown_kid`). `request`: the request that needs the keys,
   * named by the lines logged for it.
   */
  async refreshAndWait(party: PartyType, id: string, kid: string | undefined, keysVersionBefore: number, request?: LoggedRequest): Promise<boolean> {
    const job = parseKeyRefreshJob({ party, id, reason: 'unknown_kid', kid: kid ?? null, requested_at: new Date().toISOString() });
    try {
      await this.queue.add('key-refresh', job, { ...DEFAULT_JOB_OPTIONS, deduplication: { id: keyRefreshDedupId(party, id) } });
    } catch (error) {
      this.logger.warn(request, `key refresh for ${party} ${id} not enqueued: ${(error as Error).message}`);
      return this.trust.keysVersion(party, id) > keysVersionBefore;
    }
    return this.trust.waitForKeysChange(party, id, keysVersionBefore, this.config.keyRefreshWaitMs);
  }

  async onModuleDestroy(): Promise<void> {
    await this.queue.close().catch(() => undefined);
  }
}
