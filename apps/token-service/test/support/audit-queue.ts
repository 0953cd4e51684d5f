/** Reads the audit events the token service enqueued (no audit-worker runs in these tests). */
import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { AUDIT_JOB_NAMES, QUEUES, type AuditEvent } from '@trust-broker/contracts';

export class AuditQueueReader {
  private readonly connection: Redis;
  private readonly queue: Queue;

  constructor(redisUrl: string, prefix: string) {
    this.connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
    this.queue = new Queue(QUEUES.audit, { connection: this.connection, prefix });
  }

  async events(): Promise<AuditEvent[]> {
    const jobs = await this.queue.getJobs(['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed']);
    // A job holds one event (`audit`) or several (`audit-batch`, the events of one event-loop turn).
    return jobs
      .filter((job) => job !== undefined)
      .flatMap((job) => (job.name === AUDIT_JOB_NAMES.batch ? (job.data as { events: AuditEvent[] }).events : [job.data as AuditEvent]));
  }

  async byRequestId(requestId: string): Promise<AuditEvent[]> {
    return (await this.events()).filter((event) => event.request_id === requestId);
  }

  async close(): Promise<void> {
    await this.queue.close();
    this.connection.disconnect();
  }
}
