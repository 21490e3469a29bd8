import { DelayedError, type Job } from 'bullmq';
import { QUEUE_NAMES, createWorker } from '@platform/queues';
import type { ServiceContext } from '../context.ts';
import type { SuspensionExpiryJob } from '../outbox/messages.ts';
import { expireSuspension } from './service.ts';

/**
 * Consumes the delayed jobs that end suspensions. A job that runs before the database clock
 * reaches the end (clock skew between this host and PostgreSQL) is delayed again for the
 * remaining time. Status reads never wait for this worker: they derive status from timestamps.
 */
export function startSuspensionExpiryWorker(context: ServiceContext, onExpired: () => void) {
  const worker = createWorker<SuspensionExpiryJob>(QUEUE_NAMES.suspensionExpiry, async (job: Job<SuspensionExpiryJob>, token?: string) => {
    const result = await expireSuspension(context.db, job.data.suspensionId);
    if (result.outcome === 'not_due') {
      await job.moveToDelayed(Date.now() + result.remainingMs + 10, token);
      throw new DelayedError();
    }
    context.logger.info({ suspensionId: job.data.suspensionId, userId: job.data.userId, outcome: result.outcome }, 'suspension expiry processed');
    if (result.outcome === 'expired') onExpired();
    return result.outcome;
  }, context.workerConnection);

  worker.on('failed', (job, error) => {
    context.logger.error({ err: error, jobId: job?.id, attempts: job?.attemptsMade, code: 'suspension_expiry_failed' }, 'suspension expiry job failed');
  });
  worker.on('error', (error) => {
    context.logger.debug({ err: error }, 'suspension expiry worker connection error');
  });
  return worker;
}
