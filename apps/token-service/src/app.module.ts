import { type DynamicModule, Module } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { HealthModule } from '@trust-broker/service-kit/nest';
import { AuditModule } from './audit/audit.module';
import { ClientAuthModule } from './client-auth/client-auth.module';
import { ConfigModule } from './config/config.module';
import type { TokenServiceConfig } from './config/token-service.config';
import { DatabaseModule } from './database/database.module';
import { DiscoveryModule } from './discovery/discovery.module';
import { IntrospectionModule } from './introspection/introspection.module';
import { RateLimitModule } from './rate-limit/rate-limit.module';
import { RedisModule } from './redis/redis.module';
import { RevocationModule } from './revocation/revocation.module';
import { SigningKeysModule } from './signing-keys/signing-keys.module';
import { TokenEndpointModule } from './token-endpoint/token-endpoint.module';
import { TrustModule } from './trust/trust.module';

/** token-service: the OAuth endpoints (CONTRACT.md "OAuth endpoints") over the in-memory trust cache. */
@Module({})
export class AppModule {
  static forRoot(config: TokenServiceConfig, dataSource: DataSource, trustReadSource: DataSource = dataSource): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forRoot(dataSource, trustReadSource),
        RedisModule,
        HealthModule,
        TrustModule,
        AuditModule,
        ClientAuthModule,
        SigningKeysModule,
        RateLimitModule,
        TokenEndpointModule,
        DiscoveryModule,
        IntrospectionModule,
        RevocationModule,
      ],
    };
  }
}
