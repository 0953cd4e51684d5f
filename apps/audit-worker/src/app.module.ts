/**
 * The audit worker, composed by Nest from its parsed config and the migrated `DataSource`:
 * each part is a provider built from what it needs, as in the other two apps. main.ts
 * only migrates, creates the app, listens and then starts the consumer and timers.
 */
import { Inject, Injectable, Module, type BeforeApplicationShutdown, type DynamicModule, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { createRedis, redisEndpointOf, type RedisClient } from '@trust-broker/service-kit/redis';
import { createAdminAuthGuard, HealthModule, ReadinessRegistry } from '@trust-broker/service-kit/nest';
import { AuditChainController } from './audit-chain/audit-chain.controller';
import { ChainVerifier } from './audit-chain/chain-verifier';
import { ChainWriter } from './audit-chain/chain-writer';
import { AuditEventsController } from './audit-events/audit-events.controller';
import { AuditEventsRepository } from './audit-events/audit-events.repository';
import { AuditStreamConsumer } from './audit-events/audit-stream.consumer';
import { EventBatcher } from './audit-events/event-batcher';
import { LegacyAuditQueueDrain } from './audit-events/legacy-audit-queue';
import { ACTIVE_CHECKPOINT_KEY, AUDIT_WORKER_CONFIG, REQUEST_REDIS } from './audit-worker.tokens';
import { AuditWorkerRuntime } from './audit-worker.runtime';
import type { AuditWorkerConfig } from './config/audit-worker.config';
import { ADMIN_AUTH, AdminGuard } from './http/admin.guard';
import { RetentionService } from './retention/retention.service';
import { SigningKeysService, type ActiveSigningKey } from './signing-keys/signing-keys.service';

/** Events read but not yet committed, at most: one write batch filling while the others are written. */
const heldEventsOf = (config: AuditWorkerConfig) => config.batchSize * (config.writesInFlight + 1);

/** Ties the runtime's stop and close to Nest's lifecycle, and registers its readiness checks. */
@Injectable()
class RuntimeLifecycle implements BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(
    @Inject(AuditWorkerRuntime) private readonly runtime: AuditWorkerRuntime,
    @Inject(ReadinessRegistry) readiness: ReadinessRegistry,
  ) {
    runtime.registerReadiness(readiness);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.runtime.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runtime.close();
  }
}

const workerProviders: Provider[] = [
  {
    provide: ADMIN_AUTH,
    inject: [AUDIT_WORKER_CONFIG],
    useFactory: (config: AuditWorkerConfig) => createAdminAuthGuard(config.adminApiKey),
  },
  {
    provide: SigningKeysService,
    inject: [DataSource, AUDIT_WORKER_CONFIG],
    useFactory: (dataSource: DataSource, config: AuditWorkerConfig) => new SigningKeysService(dataSource, config.keyEncryptionKey),
  },
  {
    provide: ACTIVE_CHECKPOINT_KEY,
    inject: [SigningKeysService, AUDIT_WORKER_CONFIG],
    useFactory: (signingKeys: SigningKeysService, config: AuditWorkerConfig) => signingKeys.loadActiveKey(config.signingKey),
  },
  {
    provide: ChainWriter,
    inject: [DataSource, ACTIVE_CHECKPOINT_KEY, AUDIT_WORKER_CONFIG],
    useFactory: (dataSource: DataSource, activeKey: ActiveSigningKey, config: AuditWorkerConfig) => new ChainWriter(dataSource, activeKey, config.checkpointEvery),
  },
  {
    provide: ChainVerifier,
    inject: [DataSource, SigningKeysService, ACTIVE_CHECKPOINT_KEY],
    useFactory: (dataSource: DataSource, signingKeys: SigningKeysService, activeKey: ActiveSigningKey) =>
      new ChainVerifier(dataSource, () => signingKeys.trustedKeys(), activeKey),
  },
  {
    provide: AuditEventsRepository,
    inject: [DataSource],
    useFactory: (dataSource: DataSource) => new AuditEventsRepository(dataSource),
  },
  {
    provide: EventBatcher,
    inject: [ChainWriter, AUDIT_WORKER_CONFIG],
    useFactory: (writer: ChainWriter, config: AuditWorkerConfig) =>
      new EventBatcher((events) => writer.append(events), {
        batchSize: config.batchSize,
        waitMs: config.batchWaitMs,
        retryMaxMs: config.dbRetryMaxMs,
        maxInFlight: config.writesInFlight,
      }),
  },
  {
    provide: AuditStreamConsumer,
    inject: [EventBatcher, AUDIT_WORKER_CONFIG],
    useFactory: (batcher: EventBatcher, config: AuditWorkerConfig) =>
      new AuditStreamConsumer(batcher, {
        redisUrl: config.redisUrl,
        redisCluster: config.redisCluster,
        redisPrefix: config.redisPrefix,
        maxHeldEvents: heldEventsOf(config),
        claimIdleMs: config.lockDurationMs,
        claimEveryMs: config.stalledIntervalMs,
      }),
  },
  {
    provide: LegacyAuditQueueDrain,
    inject: [EventBatcher, AUDIT_WORKER_CONFIG],
    useFactory: (batcher: EventBatcher, config: AuditWorkerConfig) =>
      new LegacyAuditQueueDrain(batcher, {
        redisUrl: config.redisUrl,
        redisCluster: config.redisCluster,
        redisPrefix: config.redisPrefix,
        concurrency: heldEventsOf(config),
        lockDurationMs: config.lockDurationMs,
        stalledIntervalMs: config.stalledIntervalMs,
      }),
  },
  {
    provide: RetentionService,
    inject: [DataSource, AUDIT_WORKER_CONFIG],
    useFactory: (dataSource: DataSource, config: AuditWorkerConfig) => new RetentionService(dataSource, config.retentionDays),
  },
  {
    provide: REQUEST_REDIS,
    inject: [AUDIT_WORKER_CONFIG],
    useFactory: (config: AuditWorkerConfig): RedisClient => createRedis(redisEndpointOf(config), 'request'),
  },
  {
    provide: AuditWorkerRuntime,
    inject: [DataSource, REQUEST_REDIS, ChainWriter, EventBatcher, AuditStreamConsumer, LegacyAuditQueueDrain, RetentionService, AUDIT_WORKER_CONFIG],
    useFactory: (
      dataSource: DataSource,
      redis: RedisClient,
      writer: ChainWriter,
      batcher: EventBatcher,
      consumer: AuditStreamConsumer,
      legacyQueue: LegacyAuditQueueDrain,
      retention: RetentionService,
      config: AuditWorkerConfig,
    ) => new AuditWorkerRuntime(dataSource, redis, writer, batcher, consumer, legacyQueue, retention, config.checkpointIntervalMs),
  },
];

@Module({})
export class AppModule {
  /** The whole worker, given its parsed config and a migrated `DataSource` (schema `audit`). */
  static forRoot(config: AuditWorkerConfig, dataSource: DataSource): DynamicModule {
    return {
      module: AppModule,
      imports: [HealthModule],
      controllers: [AuditEventsController, AuditChainController],
      providers: [
        { provide: AUDIT_WORKER_CONFIG, useValue: config },
        { provide: DataSource, useValue: dataSource },
        ...workerProviders,
        AdminGuard,
        RuntimeLifecycle,
      ],
    };
  }
}
