/**
 * Prometheus metrics of introspection and revocation (served at GET /metrics):
 * requests by endpoint and result (`active`, `inactive`, `revoked`, `not_revoked`, or the
 * OAuth error code). Few label values: never a client id or a token.
 */
import { Counter, register } from 'prom-client';

const REQUESTS = 'token_management_requests_total';

type Labels = 'endpoint' | 'result';

export class TokenManagementMetrics {
  private readonly requests: Counter<Labels> =
    (register.getSingleMetric(REQUESTS) as Counter<Labels> | undefined) ??
    new Counter({ name: REQUESTS, help: 'Introspection and revocation requests by result', labelNames: ['endpoint', 'result'] });

  record(endpoint: 'introspection' | 'revocation', result: string): void {
    this.requests.inc({ endpoint, result });
  }
}
