/** Prometheus counters of the registry, served by service-kit's `GET /metrics`. Created once per process. */
import { Counter } from 'prom-client';

export const keyFetchCounter = new Counter({
  name: 'issuer_registry_key_fetches_total',
  help: 'Remote key fetches by party type and outcome (changed, unchanged, not_modified, failed)',
  labelNames: ['party', 'outcome'] as const,
});

export const outboxDeliveryCounter = new Counter({
  name: 'issuer_registry_outbox_deliveries_total',
  help: 'Outbox entries relayed to Redis, by kind, and failed attempts',
  labelNames: ['kind', 'result'] as const,
});
