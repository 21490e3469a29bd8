import { UnrecoverableError, type ConnectionOptions, type Job, type Worker } from 'bullmq';
import type { Logger } from 'pino';
import { QUEUE_NAMES, createWorker, tokenRevocationJobValidator, withJobTraceContext, type TokenRevocationJob } from '@platform/queues';
import type { RevocationService } from './revocation-service.ts';

/**
 * Consumes the token revocation queue. Applying a job twice has the effect of applying it once:
 * cut-offs and suspension ends only move forward, and a lift ignores revocations newer than itself,
 * so retries and duplicate deliveries are harmless. A payload that fails validation is failed for
 * good (kept in the failed set for operators) instead of being retried.
 */
export function startRevocationWorker(options: { connection: ConnectionOptions; revocations: RevocationService; logger: Logger; concurrency: number }): Worker<TokenRevocationJob> {
  const worker = createWorker<TokenRevocationJob>(QUEUE_NAMES.tokenRevocations, async (job: Job<TokenRevocationJob>) => {
    const data = job.data;
    if (!tokenRevocationJobValidator.Check(data)) {
      options.logger.error({ jobId: job.id, code: 'revocation_job_invalid' }, 'token revocation job has an invalid payload; parked as failed');
      throw new UnrecoverableError('invalid token revocation job payload');
    }
    await withJobTraceContext(data.meta.traceparent, () => applyJob(options.revocations, data));
  }, options.connection, { concurrency: options.concurrency });

  worker.on('failed', (job, error) => {
    options.logger.error({ err: error, jobId: job?.id, attempts: job?.attemptsMade, code: 'revocation_job_failed' }, 'token revocation job failed');
  });
  worker.on('error', (error) => {
    options.logger.error({ err: error, code: 'revocation_worker_error' }, 'token revocation worker error');
  });
  return worker;
}

// NOTE: the cut-off of a queued revocation is the producer's `notBefore`. A token issued later in the
// same second has the same `iat` and is rejected too, unless the producer responds to its own caller
// only after that second is over, as the admin API here does.
async function applyJob(revocations: RevocationService, job: TokenRevocationJob): Promise<void> {
  const context = {
    actor: { type: 'system' as const, id: job.meta.producer },
    ...(job.meta.requestId !== undefined ? { requestId: job.meta.requestId } : {}),
  };
  const at = job.notBefore ?? job.meta.createdAt;
  if (job.action === 'lift') {
    // Queued lifts come from suspensions ending; a lift without a scope keeps revocation cut-offs.
    await revocations.lift(job.type, job.id, job.meta.createdAt, context, job.reason, job.scope ?? 'suspension');
    return;
  }
  await revocations.revoke({
    type: job.type,
    id: job.id,
    revokedAt: at,
    ...(job.type === 'jti' ? {} : { notBefore: at }),
    ...(job.type !== 'jti' && job.until !== undefined ? { until: job.until } : {}),
    ...(job.type === 'jti' && job.expiresAt !== undefined ? { expiresAt: job.expiresAt } : {}),
    ...(job.reason !== undefined ? { reason: job.reason } : {}),
  }, context);
}
