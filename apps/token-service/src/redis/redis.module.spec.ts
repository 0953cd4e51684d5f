/**
 * The request path and the queue producer (BullMQ's key-refresh queue) talk to Redis on two
 * connections (real Redis): BullMQ defines its Lua commands on the connection it is given,
 * and ioredis copies every defined command onto each auto-pipeline, so on a shared
 * connection every replay or rate-limit command paid for BullMQ's scripts. Audit events are
 * XADDs on the request connection.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import Redis from 'ioredis';
import { auditStreamKeys } from '@trust-broker/contracts';
import { createTestRedisPrefix, getFreePort, type TestRedisPrefix } from '@trust-broker/testing';
import { ReadinessRegistry } from '@trust-broker/service-kit/nest';
import { AuditUnavailableError } from '../audit/audit.errors';
import { AuditModule } from '../audit/audit.module';
import { AuditPublisher } from '../audit/audit-publisher.service';
import { ConfigModule } from '../config/config.module';
import type { TokenServiceConfig } from '../config/token-service.config';
import { QUEUE_PRODUCER_REDIS, REQUEST_REDIS, RedisModule } from './redis.module';

type DefinedCommands = Redis & { scriptsSet: Record<string, unknown>; options: { enableAutoPipelining: boolean; enableOfflineQueue: boolean } };

const auditEvent = () => ({ id: randomUUID(), type: 'token' as const, occurred_at: new Date().toISOString(), outcome: 'success' as const, request_id: randomUUID() });

async function startContext(config: TokenServiceConfig) {
  @Module({ imports: [ConfigModule.forRoot(config), RedisModule, AuditModule] })
  class TestModule {}
  return NestFactory.createApplicationContext(TestModule, { logger: false });
}

describe('RedisModule: request-path and queue-producer connections (real Redis)', () => {
  let prefix: TestRedisPrefix;
  let app: Awaited<ReturnType<typeof NestFactory.createApplicationContext>>;
  let reader: Redis;

  beforeAll(async () => {
    prefix = createTestRedisPrefix('redis-module');
    app = await startContext({ redisUrl: prefix.url, redisPrefix: prefix.prefix } as TokenServiceConfig);
    reader = new Redis(prefix.url, { maxRetriesPerRequest: null });
  });
  afterAll(async () => {
    await app.close();
    reader.disconnect();
    await prefix.clear();
  });

  it('gives the queue producer its own connection; audit events are plain XADDs on the request connection, no BullMQ script on it', async () => {
    const request = app.get<DefinedCommands>(REQUEST_REDIS);
    const producer = app.get<DefinedCommands>(QUEUE_PRODUCER_REDIS);
    expect(producer).not.toBe(request);
    // Published right after start-up: the module waited for the request connection.
    await app.get(AuditPublisher).publish(auditEvent());
    expect(Object.keys(request.scriptsSet)).toEqual([]);
    const lengths = await Promise.all(auditStreamKeys(prefix.prefix).map((key) => reader.xlen(key)));
    expect(lengths.reduce((sum, n) => sum + n, 0)).toBe(1);
  });

  it('pipelines the request path only, and both fail fast while Redis is down (no offline queue)', () => {
    const request = app.get<DefinedCommands>(REQUEST_REDIS);
    const producer = app.get<DefinedCommands>(QUEUE_PRODUCER_REDIS);
    expect(request.options.enableAutoPipelining).toBe(true);
    expect(producer.options.enableAutoPipelining).toBe(false);
    expect([request.options.enableOfflineQueue, producer.options.enableOfflineQueue]).toEqual([false, false]);
  });
});

describe('RedisModule with Redis unreachable at start', () => {
  it('starts anyway after the wait, reports both connections down and refuses audit events (503), never hangs', async () => {
    const nobody = `redis://127.0.0.1:${await getFreePort()}`;
    const startedAt = Date.now();
    const app = await startContext({ redisUrl: nobody, redisPrefix: 'tbtest-unreachable' } as TokenServiceConfig);
    try {
      // Both waits run at once, each bounded: start-up is not held much beyond one of them.
      expect(Date.now() - startedAt).toBeLessThan(9000);
      const checks = await app.get(ReadinessRegistry).run();
      expect(checks.redis).toMatch(/^down/);
      expect(checks.redis_queue_producer).toMatch(/^down/);
      await expect(app.get(AuditPublisher).publish(auditEvent())).rejects.toBeInstanceOf(AuditUnavailableError);
    } finally {
      await app.close();
    }
  }, 20_000);
});
