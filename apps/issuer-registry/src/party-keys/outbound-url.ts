/** A registered key URL must be fetchable under the outbound rules: https unless private networks are allowed. */
import { invalidRequest } from '@trust-broker/service-kit';
import type { OutboundFetchConfig } from '../config/registry.config';

export function checkOutboundUrl(value: string, field: string, config: OutboundFetchConfig): void {
  const url = new URL(value);
  if (url.protocol !== 'https:' && !config.allowPrivateNetworks) throw invalidRequest(`${field}: must be an https URL`);
  if (url.username || url.password) throw invalidRequest(`${field}: must not carry credentials`);
  if (url.hash) throw invalidRequest(`${field}: must not have a fragment`);
}
