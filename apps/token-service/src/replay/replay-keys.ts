/**
 * Key names of the replay store. The marks are spread over REPLAY_BUCKETS buckets; each
 * bucket's keys share one hash tag (`{replay:<n>}`), so a mark and the epoch of its bucket
 * sit in one Redis Cluster slot and one Lua script may touch both. The `jti` is hashed so
 * attacker-chosen bytes never become key names.
 */
import { sha256Hex } from '@trust-broker/secrets';

export const REPLAY_BUCKETS = 16;

export interface ReplayKeys {
  bucket: number;
  epoch: string;
  mark: string;
}

export function replayKeys(prefix: string, namespace: string, jti: string): ReplayKeys {
  const digest = sha256Hex(jti);
  const bucket = parseInt(digest.slice(0, 2), 16) % REPLAY_BUCKETS;
  return { bucket, epoch: epochKey(prefix, bucket), mark: `${prefix}:{replay:${bucket}}:jti:${namespace}:${digest}` };
}

export function epochKey(prefix: string, bucket: number): string {
  return `${prefix}:{replay:${bucket}}:epoch`;
}
