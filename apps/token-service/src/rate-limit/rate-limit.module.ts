import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuditModule } from '../audit/audit.module';
import { ClientRateLimit } from './client-rate-limit';
import { TokenRateLimitGuard } from './token-rate-limit.guard';
import { TokenRateLimiter } from './token-rate-limiter';

/** Rate limits of POST /oauth2/token (settings: RATE_LIMIT_* in config/): per address in the guard, per authenticated client in the pipeline. */
@Module({
  imports: [AuditModule],
  providers: [TokenRateLimiter, ClientRateLimit, { provide: APP_GUARD, useClass: TokenRateLimitGuard }],
  exports: [ClientRateLimit],
})
export class RateLimitModule {}
