/** Reads the audit events the token service appended to the audit streams (no audit-worker runs in these tests). */
import Redis from 'ioredis';
import { AUDIT_STREAM_FIELD, auditStreamKeys, type AuditEvent } from '@trust-broker/contracts';

export class AuditQueueReader {
  private readonly connection: Redis;

  constructor(
    redisUrl: string,
    private readonly prefix: string,
  ) {
    this.connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  }

  async events(): Promise<AuditEvent[]> {
    const events: AuditEvent[] = [];
    // An entry holds the events of one event-loop turn (or the grant's one event).
    for (const key of auditStreamKeys(this.prefix)) {
      const entries = (await this.connection.xrange(key, '-', '+')) as Array<[string, string[]]>;
      for (const [, fields] of entries) {
        const index = fields.indexOf(AUDIT_STREAM_FIELD);
        if (index >= 0) events.push(...(JSON.parse(fields[index + 1]!) as AuditEvent[]));
      }
    }
    return events;
  }

  async byRequestId(requestId: string): Promise<AuditEvent[]> {
    return (await this.events()).filter((event) => event.request_id === requestId);
  }

  async close(): Promise<void> {
    this.connection.disconnect();
  }
}
