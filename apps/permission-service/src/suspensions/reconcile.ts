import { sql } from 'kysely';
import { QUEUE_NAMES } from '@platform/queues';
import type { ServiceContext } from '../context.ts';
import { suspensionExpiryJobId, suspensionExpiryMessage } from '../outbox/messages.ts';

/**
 * Makes sure every open suspension with an end has its expiry job: adds the jobs that are missing
 * (Redis lost its data, or the outbox row was never relayed) and retries jobs that failed for good.
 * Safe on any number of replicas at once, because the job id is derived from the suspension id.
 * Returns the number of jobs added or retried.
 * NOTE: only expiry jobs are rebuilt; relayed session and token jobs lost with Redis data are not re-sent.
 */
export async function reconcileSuspensionExpiryJobs(context: ServiceContext, batchSize = 1_000): Promise<number> {
  const queue = context.queues.get(QUEUE_NAMES.suspensionExpiry);
  const open = await context.db
    .selectFrom('user_suspensions')
    .select(['id', 'user_id', 'expires_at'])
    .where('ended_at', 'is', null)
    .where('expires_at', 'is not', null)
    .orderBy('expires_at')
    .limit(batchSize)
    .execute();

  let repaired = 0;
  for (const suspension of open) {
    const jobId = suspensionExpiryJobId(suspension.id);
    const job = await queue.getJob(jobId);
    const state = job ? await job.getState() : 'missing';
    if (state === 'failed') {
      await job!.retry();
      repaired += 1;
      continue;
    }
    // A completed job for a still-open suspension ran before its end and was not delayed again; replace it.
    if (state === 'completed') await job!.remove();
    if (state === 'missing' || state === 'completed' || state === 'unknown') {
      const message = suspensionExpiryMessage(suspension.id, suspension.user_id, suspension.expires_at!);
      await queue.add(message.name, message.data, { jobId, delay: Math.max(0, message.runAt! - Date.now()) });
      repaired += 1;
    }
  }
  if (repaired > 0) context.logger.info({ repaired, open: open.length }, 'suspension expiry jobs rebuilt from the database');
  return repaired;
}

/** Count of open suspensions whose end has passed, for logs and tests. */
export async function overdueSuspensions(context: ServiceContext): Promise<number> {
  const row = await context.db
    .selectFrom('user_suspensions')
    .select(sql<string>`count(*)`.as('count'))
    .where('ended_at', 'is', null)
    .where('expires_at', '<=', sql<Date>`now()`)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}
