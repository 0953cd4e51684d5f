/**
 * Keeps the trust cache fresh:
 * - the first full load is retried until it succeeds (not ready until then);
 * - trust-change messages on `<REDIS_PREFIX>:trust-changes` (a dedicated subscriber
 *   connection; sharded pub/sub on a Redis Cluster) reload just the named entity;
 * - a reconcile every TRUST_RELOAD_INTERVAL_S, and after every subscriber reconnect
 *   (every row's version compared, changed rows re-read), heals messages lost meanwhile;
 * - while Postgres is down, failures are logged and the cache keeps serving.
 */
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { parseTrustChange, TRUST_CHANGE_CHANNEL } from '@trust-broker/contracts';
import { createRedis, type RedisClient, redisEndpointOf, keyspaceOf } from '@trust-broker/service-kit/redis';
import { ReadinessRegistry } from '@trust-broker/service-kit/nest';
import { TOKEN_SERVICE_CONFIG, type TokenServiceConfig } from '../config/token-service.config';
import { TrustCache } from './trust-cache.service';

const FIRST_LOAD_RETRY_MS = 1000;
/** After a cluster node leaves, the slot map is re-read and the subscriber moved within about this long. */
const HEAL_AFTER_NODE_LOSS_MS = 1000;

@Injectable()
export class TrustSyncService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(TrustSyncService.name);
  private subscriber?: RedisClient;
  private reloadTimer?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Timeout;
  private healTimer?: NodeJS.Timeout | undefined;
  private stopped = false;
  private lastReloadFailed = false;

  constructor(
    private readonly cache: TrustCache,
    private readonly readiness: ReadinessRegistry,
    @Inject(TOKEN_SERVICE_CONFIG) private readonly config: TokenServiceConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.readiness.register('trust', async () => {
      if (!this.cache.isLoaded()) throw new Error('trust not loaded yet');
      this.cache.requireFresh();
    });
    this.subscribe();
    void this.firstLoad();
  }

  private async firstLoad(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.cache.reloadAll();
      const { issuers, clients } = this.cache.size();
      this.logger.log(`trust loaded: ${issuers} issuers, ${clients} clients`);
      this.reloadTimer = setInterval(() => void this.periodicReload(), this.config.trustReloadIntervalMs);
      this.reloadTimer.unref();
    } catch (error) {
      this.logger.warn(`first trust load failed, retrying: ${(error as Error).message}`);
      this.retryTimer = setTimeout(() => void this.firstLoad(), FIRST_LOAD_RETRY_MS);
      this.retryTimer.unref();
    }
  }

  private async periodicReload(): Promise<void> {
    try {
      await this.cache.reloadAll();
      if (this.lastReloadFailed) this.logger.log('trust reload succeeded again');
      this.lastReloadFailed = false;
    } catch (error) {
      // Keep serving from memory; say so once per outage, not on every tick.
      if (!this.lastReloadFailed) this.logger.warn(`trust reload failed, serving from memory: ${(error as Error).message}`);
      this.lastReloadFailed = true;
    }
  }

  private subscribe(): void {
    const keys = keyspaceOf(this.config);
    const channel = keys.key(TRUST_CHANGE_CHANNEL);
    const subscriber = createRedis(redisEndpointOf(this.config), 'subscriber');
    this.subscriber = subscriber;
    let connectedBefore = false;
    subscriber.on('error', () => undefined);
    subscriber.on('ready', () => {
      // Messages published while we were disconnected are gone: heal with a full reload.
      if (connectedBefore && this.cache.isLoaded()) void this.periodicReload();
      connectedBefore = true;
    });
    if (keys.cluster) {
      // Sharded pub/sub: the channel lives on one shard, whose subscriber ioredis moves
      // after a failover; a node leaving the map may have taken messages with it: heal.
      subscriber.on('smessage', (_channel: string, message: string) => this.onMessage(message));
      subscriber.on('-node', () => this.healSoon());
      subscriber.ssubscribe(channel).catch((error: Error) => this.logger.warn(`subscribe failed: ${error.message}`));
      return;
    }
    subscriber.on('message', (_channel: string, message: string) => this.onMessage(message));
    subscriber.subscribe(channel).catch((error: Error) => this.logger.warn(`subscribe failed: ${error.message}`));
  }

  /** A full reload once the subscriber has had time to move to the shard's new primary. */
  private healSoon(): void {
    if (this.healTimer || this.stopped) return;
    this.healTimer = setTimeout(() => {
      this.healTimer = undefined;
      if (this.cache.isLoaded()) void this.periodicReload();
    }, HEAL_AFTER_NODE_LOSS_MS);
    this.healTimer.unref();
  }

  private onMessage(message: string): void {
    let change;
    try {
      change = parseTrustChange(JSON.parse(message));
    } catch {
      this.logger.warn('ignored a malformed trust-change message');
      return;
    }
    this.cache.applyChange(change).catch((error: Error) => {
      this.logger.warn(`trust change ${change.entity} ${change.id} not applied (the periodic reload will): ${error.message}`);
    });
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearInterval(this.reloadTimer);
    clearTimeout(this.retryTimer);
    clearTimeout(this.healTimer);
    this.subscriber?.disconnect();
  }
}
