/**
 * Consumer of QUEUES.keyRefresh:
 * - `sweep` (the job scheduler): enqueue every party whose keys are due;
 * - any other job: a KeyRefreshJob (malformed payloads fail for good: UnrecoverableError).
 *   `unknown_kid` refreshes (from token-service) run at most once per party per
 *   UNKNOWN_KID_REFRESH_INTERVAL_S across all replicas (a Redis SET NX with expiry);
 *   a kid we already hold needs no fetch, only a re-announcement of the keys.
 */
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { parseKeyRefreshJob, QUEUES, type KeyRefreshJob } from '@trust-broker/contracts';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { REGISTRY_CONFIG, type RegistryConfig } from '../config/registry.config';
import { RegistryDatabase } from '../database/registry-database';
import { recordTrustChange } from '../outbox/outbox.writer';
import { KeyRefresherService } from '../party-keys/key-refresher.service';
import { keysChange, PartyKeysRepository } from '../party-keys/party-keys.repository';
import { RegistryRedis } from '../redis/registry-redis';
import { KeyRefreshQueue, SWEEP_JOB_NAME } from './key-refresh.queue';

const SWEEP_BATCH = 500;

export type KeyRefreshResult = 'fetched' | 'rate_limited' | 'kid_known' | 'gone' | 'swept';

@Injectable()
export class KeyRefreshProcessor implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('KeyRefreshProcessor');
  private worker: Worker | undefined;

  constructor(
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
    private readonly redis: RegistryRedis,
    private readonly database: RegistryDatabase,
    private readonly partyKeys: PartyKeysRepository,
    private readonly refresher: KeyRefresherService,
    private readonly refreshQueue: KeyRefreshQueue,
  ) {}

  onApplicationBootstrap(): void {
    this.worker = new Worker(QUEUES.keyRefresh, (job) => this.process(job), {
      connection: this.redis.queue,
      prefix: this.redis.keys.queuePrefix,
      concurrency: 4,
    });
    this.worker.on('error', (error) => this.logger.warn(`key-refresh worker: ${error.message}`));
  }

  async onModuleDestroy(): Promise<void> {
    await this.worker?.close().catch(() => undefined);
  }

  async process(job: Pick<Job, 'name' | 'data'>): Promise<KeyRefreshResult> {
    if (job.name === SWEEP_JOB_NAME) {
      await this.sweep();
      return 'swept';
    }
    let request: KeyRefreshJob;
    try {
      request = parseKeyRefreshJob(job.data);
    } catch {
      throw new UnrecoverableError('malformed key-refresh job');
    }
    return this.refresh(request);
  }

  private async refresh(request: KeyRefreshJob): Promise<KeyRefreshResult> {
    if (request.reason === 'unknown_kid') {
      const current = await this.partyKeys.read(this.database, request.party, request.id);
      if (!current) return 'gone';
      if (request.kid !== null && current.keys.keys.some((key) => key.kid === request.kid)) {
        // The asking replica's cache is behind: announce the keys again instead of fetching.
        await this.database.transaction((tx) =>
          recordTrustChange(tx, keysChange(request.party, request.id, current.version, 'upsert')),
        );
        return 'kid_known';
      }
      if (!(await this.takeUnknownKidSlot(request))) return 'rate_limited';
    }
    const stored = await this.refresher.refresh(request.party, request.id, request.reason);
    return stored ? 'fetched' : 'gone';
  }

  /** True for the first unknown-kid refresh of this party in the window, across replicas. */
  private async takeUnknownKidSlot(request: KeyRefreshJob): Promise<boolean> {
    const key = this.redis.keys.key(`key-refresh:unknown-kid:${request.party}:${request.id}`);
    const taken = await this.redis.queue.set(key, '1', 'EX', this.config.keyRefresh.unknownKidIntervalSeconds, 'NX');
    return taken === 'OK';
  }

  private async sweep(): Promise<void> {
    const due = await this.partyKeys.findDue(this.database, SWEEP_BATCH);
    for (const party of due) await this.refreshQueue.requestRefresh(party.party_type, party.party_id, 'scheduled');
  }
}
