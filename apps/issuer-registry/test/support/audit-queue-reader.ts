/** Reads the admin audit events that reached the BullMQ audit queue of a prefix. */
import { QUEUES, type AuditEvent } from '@trust-broker/contracts';
import { TEST_REDIS_URL } from '@trust-broker/testing';
import { Queue } from 'bullmq';

export async function readAuditEvents(prefix: string): Promise<{ jobId: string | undefined; name: string; event: AuditEvent }[]> {
  const queue = new Queue(QUEUES.audit, { connection: { url: TEST_REDIS_URL }, prefix });
  try {
    const jobs = await queue.getJobs(['waiting', 'delayed', 'prioritized', 'active', 'completed', 'failed'], 0, 1000, true);
    return jobs.map((job) => ({ jobId: job.id, name: job.name, event: job.data as AuditEvent }));
  } finally {
    await queue.close();
  }
}
