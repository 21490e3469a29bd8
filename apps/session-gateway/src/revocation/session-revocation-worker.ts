import { createHash } from 'node:crypto';
import { UnrecoverableError, type ConnectionOptions, type Job, type Worker } from 'bullmq';
import type { Logger } from 'pino';
import { QUEUE_NAMES, createWorker, sessionRevocationJobValidator, withJobTraceContext, type SessionRevocationJob } from '@platform/queues';
import type { RevocationService } from './revocation-service.ts';

/**
 * Consumes "end every session of this user" jobs, sent for example when a user is suspended. The
 * sender revokes the user's tokens through its own job to token-validation, so this worker only
 * ends sessions and records the audit event.
 * Processing is idempotent: a repeated job finds no sessions left and records its audit event under
 * the same event id, which the audit store keeps once. Malformed jobs fail at once without retries
 * and stay in the failed set for operators.
 */
export function startSessionRevocationWorker(revocations: RevocationService, connection: ConnectionOptions, logger: Logger): Worker<SessionRevocationJob> {
  const worker = createWorker<SessionRevocationJob>(QUEUE_NAMES.sessionRevocations, async (job: Job<SessionRevocationJob>) => {
    if (!sessionRevocationJobValidator.Check(job.data)) throw new UnrecoverableError('session revocation job does not match its schema');
    const { meta, userId, reason } = job.data;
    return withJobTraceContext(meta.traceparent, async () => {
      const revokedSessions = await revocations.revokeUser(userId, {
        actor: { type: 'system', id: meta.producer },
        reason,
        requestId: meta.requestId,
        auditEventId: uuidFrom(`session-revocation-job/${meta.eventId}`),
      }, { revokeTokens: false });
      logger.info({ jobId: job.id, producer: meta.producer, revokedSessions }, 'user sessions revoked from queue');
      return { revokedSessions };
    });
  }, connection);

  worker.on('failed', (job, error) => {
    logger.error({ err: error, jobId: job?.id, attempts: job?.attemptsMade, code: 'session_revocation_job_failed' }, 'session revocation job failed');
  });
  worker.on('error', (error) => {
    logger.error({ err: error, code: 'session_revocation_worker_error' }, 'session revocation worker error');
  });
  return worker;
}

/** Derives a stable UUID-shaped id (version 8, RFC 9562) from a string. */
function uuidFrom(seed: string): string {
  const bytes = createHash('sha256').update(seed, 'utf8').digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
