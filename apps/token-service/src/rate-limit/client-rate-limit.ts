/**
 * The per-client limit of the token endpoint, counted only once the client authenticated:
 * an unverified `client_id` never picks the counter, so nobody can use up a victim's
 * budget by naming it (the per-address limit, in the guard, comes before authentication).
 * A public client (`none`) proves nothing and is not counted per client. When Redis cannot
 * count, the request goes on: the pipeline answers 503 itself if it cannot check replay or
 * audit either.
 */
import { Inject, Injectable } from '@nestjs/common';
import { RequestLogger, type LoggedRequest } from '@trust-broker/service-kit/logging';
import type { AuthenticatedClient } from '../client-auth/client-auth.types';
import { RateLimitedError } from './rate-limit.errors';
import { RateLimitMetrics } from './rate-limit.metrics';
import { TokenRateLimiter } from './token-rate-limiter';

@Injectable()
export class ClientRateLimit {
  private readonly logger = new RequestLogger(ClientRateLimit.name);
  private readonly metrics = new RateLimitMetrics();

  constructor(@Inject(TokenRateLimiter) private readonly limiter: TokenRateLimiter) {}

  /** Counts one request of an authenticated client; throws RateLimitedError (429) over the limit. */
  async consume(client: AuthenticatedClient | undefined, request: LoggedRequest): Promise<void> {
    if (!client || client.method === 'none') return;
    let verdict;
    try {
      verdict = await this.limiter.consume([{ scope: 'client', id: client.clientId }]);
    } catch (error) {
      this.metrics.unavailable();
      this.logger.warn(request, `client rate limit not counted: ${(error as Error).message}`);
      return;
    }
    if (!verdict.exceeded) return;
    this.metrics.refused(verdict.exceeded);
    throw new RateLimitedError(verdict.exceeded, verdict.retryAfterS);
  }
}
