import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuditModule } from '../audit/audit.module';
import { TokenRateLimitGuard } from './token-rate-limit.guard';
import { TokenRateLimiter } from './token-rate-limiter';

/** Rate limits of POST /oauth2/token (settings: RATE_LIMIT_* in config/). */
@Module({
  imports: [AuditModule],
  providers: [TokenRateLimiter, { provide: APP_GUARD, useClass: TokenRateLimitGuard }],
})
export class RateLimitModule {}
