/**
 * Prometheus metrics of the token endpoint (served at GET /metrics): requests by grant
 * type and outcome (the OAuth error code on failure), and their duration.
 */
import { Counter, Histogram, register } from 'prom-client';

const REQUESTS = 'token_requests_total';
const DURATION = 'token_request_duration_seconds';

function counter(): Counter<'grant_type' | 'outcome' | 'error'> {
  return (
    (register.getSingleMetric(REQUESTS) as Counter<'grant_type' | 'outcome' | 'error'> | undefined) ??
    new Counter({ name: REQUESTS, help: 'Token requests by grant type and outcome', labelNames: ['grant_type', 'outcome', 'error'] })
  );
}

function histogram(): Histogram<'outcome'> {
  return (
    (register.getSingleMetric(DURATION) as Histogram<'outcome'> | undefined) ??
    new Histogram({
      name: DURATION,
      help: 'Token request duration',
      labelNames: ['outcome'],
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    })
  );
}

export class TokenMetrics {
  private readonly requests = counter();
  private readonly duration = histogram();
  /** Labelled children looked up once: prom-client hashes the label set on every `inc({...})`. */
  private readonly requestCounters = new Map<string, { inc(): void }>();
  private readonly durations = {
    success: this.duration.labels({ outcome: 'success' }),
    failure: this.duration.labels({ outcome: 'failure' }),
  };

  /** `grantType` only when it is one we support (labels must stay few). */
  record(grantType: string | undefined, error: string | undefined, startedAt: bigint): void {
    const outcome = error === undefined ? 'success' : 'failure';
    const labels = `${grantType ?? 'none'} ${error ?? ''}`;
    let requests = this.requestCounters.get(labels);
    if (requests === undefined) {
      requests = this.requests.labels({ grant_type: grantType ?? 'none', outcome, error: error ?? '' });
      this.requestCounters.set(labels, requests);
    }
    requests.inc();
    this.durations[outcome].observe(Number(process.hrtime.bigint() - startedAt) / 1e9);
  }
}
