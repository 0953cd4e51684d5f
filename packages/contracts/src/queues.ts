/**
 * Queue and channel names shared by every service, in one place.
 * Every name is used under the deployment's Redis key prefix (`REDIS_PREFIX`).
 */
export const QUEUES = {
  /**
   * The former audit queue (BullMQ; jobs `audit` and `audit-batch`, see audit-event.ts).
   * No producer adds to it any more (audit events go to the streams of audit-stream.ts);
   * audit-worker drains what an older release left in it, once at start.
   */
  audit: 'audit-events',
  /** Key-refresh jobs, from token-service (unknown `kid`) and schedulers to issuer-registry. */
  keyRefresh: 'key-refresh',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

/** Redis pub/sub channel (under the prefix) on which issuer-registry announces trust changes. */
export const TRUST_CHANGE_CHANNEL = 'trust-changes';

/** Builds a channel or key name under a deployment's prefix, e.g. `tb:trust-changes`. */
export function prefixed(prefix: string, name: string): string {
  return `${prefix}:${name}`;
}

/**
 * Job options set once for every producer: retries with exponential backoff, bounded
 * retention. Failed jobs are kept (never silently dropped) for inspection.
 */
export const DEFAULT_JOB_OPTIONS = {
  attempts: 10,
  backoff: { type: 'exponential', delay: 500 },
  removeOnComplete: { age: 3600, count: 10000 },
  removeOnFail: { age: 7 * 24 * 3600 },
} as const;
