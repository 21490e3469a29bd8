import { Queue } from 'bullmq';
import { QUEUE_NAMES, QUEUE_PREFIX, type AuditBatchJob } from '@platform/queues';

/** Reads the audit events waiting in the audit queue of a test Redis, oldest first. */
export async function queuedAuditEvents(redisPort: number): Promise<Array<Record<string, unknown>>> {
  const queue = new Queue<AuditBatchJob>(QUEUE_NAMES.auditEvents, { connection: { host: '127.0.0.1', port: redisPort }, prefix: QUEUE_PREFIX });
  try {
    const jobs = await queue.getJobs(['waiting', 'delayed', 'prioritized', 'active', 'completed', 'failed']);
    jobs.sort((a, b) => a.timestamp - b.timestamp);
    return jobs.flatMap((job) => job.data.events as Array<Record<string, unknown>>);
  } finally {
    await queue.close();
  }
}
