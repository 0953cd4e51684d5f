/** Prometheus metrics of the broker's signing keys: keys held by status, rotations done here. */
import { Counter, Gauge, register } from 'prom-client';

const KEYS = 'signing_keys';
const ROTATIONS = 'signing_key_rotations_total';

export class SigningKeyMetrics {
  private readonly keys: Gauge<'status'> =
    (register.getSingleMetric(KEYS) as Gauge<'status'> | undefined) ??
    new Gauge({ name: KEYS, help: 'Signing keys held in memory, by status (published: active, next, retired)', labelNames: ['status'] });
  private readonly rotations: Counter =
    (register.getSingleMetric(ROTATIONS) as Counter | undefined) ??
    new Counter({ name: ROTATIONS, help: 'Signing key promotions made by this process' });

  recordKeys(statuses: readonly string[]): void {
    for (const status of ['active', 'next', 'retired']) this.keys.set({ status }, statuses.filter((s) => s === status).length);
  }

  recordRotation(): void {
    this.rotations.inc();
  }
}
