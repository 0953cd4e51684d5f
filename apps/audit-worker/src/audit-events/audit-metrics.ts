/** Prometheus counters of the audit pipeline (served at GET /metrics). */
import { Counter, Histogram } from 'prom-client';

export const auditMetrics = {
  eventsWritten: new Counter({ name: 'audit_events_written_total', help: 'Audit events appended to the chain' }),
  duplicates: new Counter({ name: 'audit_events_duplicate_total', help: 'Redelivered audit events that were already stored' }),
  malformed: new Counter({ name: 'audit_events_malformed_total', help: 'Audit jobs failed without retry because their payload is malformed' }),
  rejected: new Counter({ name: 'audit_events_rejected_total', help: 'Valid audit events that Postgres refused for their content (failed without retry)' }),
  writeFailures: new Counter({ name: 'audit_batch_write_failures_total', help: 'Batch writes that failed and were retried' }),
  checkpoints: new Counter({ name: 'audit_checkpoints_total', help: 'Signed checkpoints written by this worker' }),
  verifyRows: new Counter({ name: 'audit_verify_rows_total', help: 'Rows read and hashed by GET /v1/audit/verify' }),
  verifyRechecked: new Counter({
    name: 'audit_verify_rechecked_rows_total',
    help: 'Rows whose fast canonical form did not hash to their hash, checked again the ordinary way by verify (expected 0)',
  }),
  writeSeconds: new Histogram({
    name: 'audit_batch_write_seconds',
    help: 'Time to append one batch to the chain (one transaction)',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  }),
  batchSize: new Histogram({
    name: 'audit_batch_size',
    help: 'Events per written batch',
    buckets: [1, 10, 50, 100, 250, 500, 1000, 2000],
  }),
};
