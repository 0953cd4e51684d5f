/** Readiness: `/readyz` answers 200 only while Postgres and Redis both answer. */
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { ReadinessRegistry } from '@trust-broker/service-kit/nest';
import { RegistryDatabase } from '../database/registry-database';
import { RegistryRedis } from '../redis/registry-redis';

@Injectable()
export class RegistryReadiness implements OnModuleInit {
  constructor(
    private readonly readiness: ReadinessRegistry,
    private readonly database: RegistryDatabase,
    private readonly redis: RegistryRedis,
  ) {}

  onModuleInit(): void {
    this.readiness.register('postgres', async () => {
      await this.database.rows('SELECT 1');
    });
    this.readiness.register('redis', async () => {
      await this.redis.commands.ping();
    });
  }
}
