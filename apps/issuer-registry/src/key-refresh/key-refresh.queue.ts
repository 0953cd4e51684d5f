/**
 * Producer side of the key-refresh queue (QUEUES.keyRefresh): one pending refresh per
 * party (BullMQ deduplication on `keyRefreshDedupId`, the id token-service uses too), and
 * one BullMQ job scheduler, the sweep, that enqueues the parties whose keys are due.
 */
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { RequestLogger } from '@trust-broker/service-kit/logging';
import { DEFAULT_JOB_OPTIONS, keyRefreshDedupId, parseKeyRefreshJob, QUEUES } from '@trust-broker/contracts';
import { Queue } from 'bullmq';
import { REGISTRY_CONFIG, type RegistryConfig } from '../config/registry.config';
import type { PartyType } from '../party-keys/party-keys.repository';
import { RegistryRedis } from '../redis/registry-redis';

export const SWEEP_JOB_NAME = 'sweep';
export const SWEEP_SCHEDULER_ID = 'key-refresh-sweep';
export const REFRESH_JOB_NAME = 'refresh';

@Injectable()
export class KeyRefreshQueue implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new RequestLogger('KeyRefreshQueue');
  readonly queue: Queue;

  constructor(
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
    redis: RegistryRedis,
  ) {
    this.queue = new Queue(QUEUES.keyRefresh, { connection: redis.queue, prefix: redis.keys.queuePrefix });
    this.queue.on('error', () => undefined);
  }

  async onApplicationBootstrap(): Promise<void> {
    // Idempotent across replicas: every one upserts the same scheduler.
    await this.queue
      .upsertJobScheduler(
        SWEEP_SCHEDULER_ID,
        { every: this.config.keyRefresh.sweepIntervalSeconds * 1000 },
        { name: SWEEP_JOB_NAME, data: {}, opts: { removeOnComplete: true, removeOnFail: 100 } },
      )
      .catch((error: Error) => this.logger.warn(undefined, `could not schedule the key-refresh sweep: ${error.message}`));
  }

  async onModuleDestroy(): Promise<void> {
    await this.queue.close().catch(() => undefined);
  }

  /**
   * Enqueues a refresh of one party unless one is already pending. Best effort and not
   * awaited: an admin request must not hang while Redis is away; the sweep catches up.
   */
  requestRefresh(party: PartyType, id: string, reason: 'scheduled' | 'forced', requestId?: string | null): Promise<void> {
    const job = parseKeyRefreshJob({ party, id, reason, kid: null, requested_at: new Date().toISOString() });
    return this.queue
      .add(REFRESH_JOB_NAME, job, { ...DEFAULT_JOB_OPTIONS, attempts: 3, deduplication: { id: keyRefreshDedupId(party, id) } })
      .then(() => undefined)
      .catch((error: Error) => this.logger.warn(requestId, `could not enqueue a key refresh for ${party} ${id}: ${error.message}`));
  }
}
