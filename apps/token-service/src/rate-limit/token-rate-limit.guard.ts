/**
 * The per-address rate limit of the token endpoint, before the pipeline spends any
 * signature check (the per-client limit waits for authentication: client-rate-limit.ts).
 * A refused request still makes its one audit event (CONTRACT.md: every token request),
 * naming the client it claimed. When Redis cannot count, the request goes on: the pipeline
 * itself then answers 503, since it cannot check replay or audit either.
 */
import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { RequestLogger } from '@trust-broker/service-kit/logging';
import { AuditPublisher } from '../audit/audit-publisher.service';
import { auditEarlyRefusal } from '../oauth-pipeline/rejected-request.audit';
import { claimedClientId } from './claimed-client-id';
import { RateLimitedError } from './rate-limit.errors';
import { TokenRateLimiter, type RateLimitSubject } from './token-rate-limiter';
import { RateLimitMetrics } from './rate-limit.metrics';

const TOKEN_PATH = '/oauth2/token';

interface TokenRequestLike {
  method: string;
  url: string;
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
  id: string;
  ip: string;
}

@Injectable()
export class TokenRateLimitGuard implements CanActivate {
  private readonly logger = new RequestLogger(TokenRateLimitGuard.name);
  private readonly metrics = new RateLimitMetrics();

  constructor(
    @Inject(TokenRateLimiter) private readonly limiter: TokenRateLimiter,
    @Inject(AuditPublisher) private readonly audit: AuditPublisher,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<TokenRequestLike>();
    if (request.method !== 'POST' || request.url.split('?')[0] !== TOKEN_PATH) return true;
    const subjects: RateLimitSubject[] = [{ scope: 'address', id: request.ip }];
    let verdict;
    try {
      verdict = await this.limiter.consume(subjects);
    } catch (error) {
      this.metrics.unavailable();
      this.logger.warn(request, `rate limit not counted: ${(error as Error).message}`);
      return true;
    }
    if (!verdict.exceeded) return true;
    this.metrics.refused(verdict.exceeded);
    // Read only for a refusal's audit event: a client assertion's payload is not decoded for every request.
    const authorization = request.headers.authorization;
    const clientId = claimedClientId(request.body, Array.isArray(authorization) ? authorization[0] : authorization);
    await this.auditRefusal(request, clientId);
    throw new RateLimitedError(verdict.exceeded, verdict.retryAfterS);
  }

  private auditRefusal(request: TokenRequestLike, clientId: string | undefined): Promise<void> {
    return auditEarlyRefusal(this.audit, this.logger, 'token', request, {
      reason: 'rate_limited',
      error: 'temporarily_unavailable',
      ...(clientId !== undefined && { claimedClientId: clientId }),
    });
  }
}
