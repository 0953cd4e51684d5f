/** Subscribes to the deployment's trust-change channel and keeps every message. */
import { prefixed, TRUST_CHANGE_CHANNEL, type TrustChange } from '@trust-broker/contracts';
import { TEST_REDIS_URL } from '@trust-broker/testing';
import Redis from 'ioredis';

export interface TrustChangeListener {
  messages: TrustChange[];
  close(): Promise<void>;
}

export async function listenForTrustChanges(prefix: string): Promise<TrustChangeListener> {
  const subscriber = new Redis(TEST_REDIS_URL);
  const messages: TrustChange[] = [];
  subscriber.on('message', (_channel: string, message: string) => messages.push(JSON.parse(message) as TrustChange));
  await subscriber.subscribe(prefixed(prefix, TRUST_CHANGE_CHANNEL));
  return {
    messages,
    async close() {
      subscriber.disconnect();
    },
  };
}
