/** Reads the admin audit events that reached the audit streams of a prefix (no audit-worker runs in these tests). */
import { AUDIT_STREAM_FIELD, auditStreamKeys, type AuditEvent } from '@trust-broker/contracts';
import { TEST_REDIS_URL } from '@trust-broker/testing';
import Redis from 'ioredis';

export async function readAuditEvents(prefix: string): Promise<{ key: string; entryId: string; event: AuditEvent }[]> {
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  try {
    const found: { key: string; entryId: string; event: AuditEvent }[] = [];
    for (const key of auditStreamKeys(prefix)) {
      for (const [entryId, fields] of (await redis.xrange(key, '-', '+')) as Array<[string, string[]]>) {
        const index = fields.indexOf(AUDIT_STREAM_FIELD);
        for (const event of JSON.parse(fields[index + 1]!) as AuditEvent[]) found.push({ key, entryId, event });
      }
    }
    return found;
  } finally {
    redis.disconnect();
  }
}
