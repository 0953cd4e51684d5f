/** `/healthz`, `/readyz` (Postgres and Redis answer), `/metrics`: service-kit's probes with the registry's checks. */
import { Module } from '@nestjs/common';
import { HealthModule } from '@trust-broker/service-kit/nest';
import { RegistryRedisModule } from '../redis/registry-redis.module';
import { RegistryReadiness } from './registry-readiness';

@Module({ imports: [HealthModule, RegistryRedisModule], providers: [RegistryReadiness] })
export class RegistryHealthModule {}
