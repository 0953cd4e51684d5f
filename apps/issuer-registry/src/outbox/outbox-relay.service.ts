/**
 * Relays `registry.outbox` to Redis: trust changes are PUBLISHed on the trust-change
 * channel, audit events appended (XADD, one entry per event, the shards in turn) to the
 * audit streams that token-service writes too (packages/contracts/src/audit-stream.ts).
 * A re-delivery after a crash appends the event again under its id: audit-worker stores
 * an event id once. Rows are locked with FOR UPDATE SKIP LOCKED (replicas share
 * the work) and deleted only after delivery: at-least-once, nothing lost.
 * Woken by LISTEN/NOTIFY, with a polling fallback.
 */
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import {
  AUDIT_STREAM_FIELD,
  AUDIT_STREAM_SHARDS,
  auditStreamKey,
  parseAuditEvent,
  parseTrustChange,
  TRUST_CHANGE_CHANNEL,
} from '@trust-broker/contracts';
import { Client } from 'pg';
import { outboxDeliveryCounter } from '../metrics/registry-metrics';
import { REGISTRY_CONFIG, type RegistryConfig } from '../config/registry.config';
import { RegistryDatabase } from '../database/registry-database';
import { RegistryRedis } from '../redis/registry-redis';
import { OUTBOX_CHANNEL } from './outbox.writer';

const BATCH_SIZE = 100;
const DELIVERY_TIMEOUT_MS = 5000;

interface OutboxRow {
  id: string;
  kind: 'trust_change' | 'audit';
  payload: unknown;
}

@Injectable()
export class OutboxRelayService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('OutboxRelay');
  private shard = 0;
  private listener: Client | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private rerun = false;
  private stopped = false;
  private failing = false;

  constructor(
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
    private readonly database: RegistryDatabase,
    private readonly redis: RegistryRedis,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.outbox.relayEnabled) return;
    this.timer = setInterval(() => this.wake(), this.config.outbox.pollIntervalMs);
    void this.listen();
    this.wake();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
    await this.listener?.end().catch(() => undefined);
  }

  /** Runs a relay pass now, or once more after the current one. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.rerun = true;
      return;
    }
    this.running = this.drain()
      .then(() => {
        if (this.failing) this.logger.log('outbox relay recovered');
        this.failing = false;
      })
      .catch((error: Error) => {
        // Once per outage, not once per poll.
        if (!this.failing) this.logger.warn(`outbox relay pass failed (will keep retrying): ${error.message}`);
        this.failing = true;
      })
      .finally(() => {
        this.running = undefined;
        if (this.rerun) {
          this.rerun = false;
          this.wake();
        }
      });
  }

  /** Relays until the outbox is empty (or a delivery fails). */
  async drain(): Promise<void> {
    for (;;) {
      const { delivered, failure } = await this.relayBatch();
      if (failure) throw new Error(`delivery to Redis failed: ${failure}`);
      if (delivered < BATCH_SIZE || this.stopped) return;
    }
  }

  private async relayBatch(): Promise<{ delivered: number; failure: string | null }> {
    return this.database.transaction(async (tx) => {
      const rows = await tx.rows<OutboxRow>(
        `SELECT id, kind, payload FROM registry.outbox ORDER BY id LIMIT ${BATCH_SIZE} FOR UPDATE SKIP LOCKED`,
      );
      const deliveredIds: string[] = [];
      let failure: string | null = null;
      for (const row of rows) {
        try {
          await withTimeout(this.deliver(row), DELIVERY_TIMEOUT_MS);
          deliveredIds.push(row.id);
          outboxDeliveryCounter.inc({ kind: row.kind, result: 'delivered' });
        } catch (error) {
          failure = (error as Error).message.slice(0, 500);
          outboxDeliveryCounter.inc({ kind: row.kind, result: 'failed' });
          await tx.rows(`UPDATE registry.outbox SET attempts = attempts + 1, last_error = $2 WHERE id = $1`, [row.id, failure]);
          break; // keep the order: later entries wait for this one
        }
      }
      if (deliveredIds.length > 0) await tx.rows(`DELETE FROM registry.outbox WHERE id = ANY($1::bigint[])`, [deliveredIds]);
      return { delivered: deliveredIds.length, failure };
    });
  }

  private async deliver(row: OutboxRow): Promise<void> {
    if (row.kind === 'trust_change') {
      const message = parseTrustChange(row.payload);
      await this.redis.publish(TRUST_CHANGE_CHANNEL, JSON.stringify(message));
      return;
    }
    const event = parseAuditEvent(row.payload);
    const key = auditStreamKey(this.redis.keys.prefix, this.shard);
    this.shard = (this.shard + 1) % AUDIT_STREAM_SHARDS;
    await this.redis.queue.xadd(key, '*', AUDIT_STREAM_FIELD, JSON.stringify([event]));
  }

  private async listen(): Promise<void> {
    while (!this.stopped) {
      const client = new Client({ connectionString: this.config.databaseUrl, application_name: 'issuer-registry-outbox' });
      try {
        await client.connect();
        await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
        this.listener = client;
        client.on('notification', () => this.wake());
        await new Promise<void>((resolve) => {
          client.on('error', () => resolve());
          client.on('end', () => resolve());
        });
      } catch {
        // Postgres down: the polling timer keeps trying; reconnect the listener shortly.
      } finally {
        await client.end().catch(() => undefined);
      }
      if (!this.stopped) await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`delivery timed out after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
