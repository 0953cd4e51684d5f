/** Prometheus counters of the token endpoint's rate limits (served at GET /metrics). */
import { Counter, register } from 'prom-client';

const REFUSED = 'token_rate_limited_total';
const UNAVAILABLE = 'token_rate_limit_unavailable_total';

function counter<L extends string>(name: string, help: string, labelNames: L[]): Counter<L> {
  return (register.getSingleMetric(name) as Counter<L> | undefined) ?? new Counter({ name, help, labelNames });
}

export class RateLimitMetrics {
  private readonly refusals = counter(REFUSED, 'Token requests refused with 429, by the limit that refused them', ['scope']);
  private readonly failures = counter(UNAVAILABLE, 'Token requests let through uncounted because Redis did not answer', []);

  refused(scope: string): void {
    this.refusals.inc({ scope });
  }

  unavailable(): void {
    this.failures.inc();
  }
}
