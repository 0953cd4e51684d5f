/** A registered key URL must be fetchable under the outbound rules: https unless private networks are allowed. */
import type { OutboundFetchConfig } from '../config/registry.config';
import { PartyKeysError } from './party-keys.errors';

export function checkOutboundUrl(value: string, field: string, config: OutboundFetchConfig): void {
  const url = new URL(value);
  if (url.protocol !== 'https:' && !config.allowPrivateNetworks) throw new PartyKeysError('outbound_url_not_https', `${field}: must be an https URL`);
  if (url.username || url.password) throw new PartyKeysError('outbound_url_has_credentials', `${field}: must not carry credentials`);
  if (url.hash) throw new PartyKeysError('outbound_url_has_fragment', `${field}: must not have a fragment`);
}
