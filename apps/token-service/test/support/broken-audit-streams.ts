/**
 * A real fault in Redis for the audit transport: every audit stream shard is made a string
 * for the duration of `work`, so each XADD (the publisher's, the grant's commit script's)
 * fails with WRONGTYPE before anything is stored. The shards are restored afterwards.
 */
import Redis from 'ioredis';
import { auditStreamKeys } from '@trust-broker/contracts';

export async function withBrokenAuditStreams<T>(redisUrl: string, prefix: string, work: () => Promise<T>): Promise<T> {
  const redis = new Redis(redisUrl);
  const shards = auditStreamKeys(prefix);
  const kept: string[] = [];
  try {
    for (const key of shards) {
      if ((await redis.exists(key)) === 1) {
        await redis.rename(key, `${key}:kept`);
        kept.push(key);
      }
      await redis.set(key, 'not-a-stream');
    }
    return await work();
  } finally {
    await redis.del(...shards);
    for (const key of kept) await redis.rename(`${key}:kept`, key);
    redis.disconnect();
  }
}
