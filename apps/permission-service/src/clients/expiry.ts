import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../database/database.ts';
import { SYSTEM_ACTOR } from '../outbox/actor.ts';
import { clientAuditMessage, recordChange } from './changes.ts';

const BATCH_SIZE = 100;

/**
 * Writes the `client.suspension_expired` audit event of every suspension whose expiry has passed,
 * dated at the expiry. Access needs no such step, because status is derived from timestamps. Rows
 * are claimed with SKIP LOCKED and marked in the same transaction as their outbox row, so
 * replicas running this together write each event once. Returns how many events were written.
 */
export async function recordExpiredSuspensions(db: Kysely<Database>): Promise<number> {
  let recorded = 0;
  for (;;) {
    const count = await db.transaction().execute(async (trx) => {
      const expired = await trx.selectFrom('m2m_client_suspensions')
        .select(['id', 'client_id', 'expires_at'])
        .where('expires_at', 'is not', null)
        .where('expires_at', '<=', sql<Date>`now()`)
        .where('ended_at', 'is', null)
        .where('expiry_recorded_at', 'is', null)
        .orderBy('expires_at')
        .limit(BATCH_SIZE)
        .forUpdate()
        .skipLocked()
        .execute();
      if (expired.length === 0) return 0;
      await trx.updateTable('m2m_client_suspensions').set({ expiry_recorded_at: sql`now()` }).where('id', 'in', expired.map((row) => row.id)).execute();
      await recordChange(trx, 'client.suspension_expired', expired.map((row) => clientAuditMessage(
        'client.suspension_expired', 'client.suspension_expire', row.client_id, { clientId: row.client_id, suspensionId: row.id }, row.expires_at!, SYSTEM_ACTOR,
      )));
      return expired.length;
    });
    recorded += count;
    if (count < BATCH_SIZE) return recorded;
  }
}

/** Runs recordExpiredSuspensions every `intervalMs`; a failed run is logged and retried next time. */
export function startSuspensionExpiryRecorder(db: Kysely<Database>, logger: Logger, intervalMs: number, onRecorded: () => void): () => Promise<void> {
  let running: Promise<void> | undefined;
  const run = () => {
    running ??= recordExpiredSuspensions(db)
      .then((count) => {
        if (count > 0) {
          logger.info({ count }, 'client suspension expiries recorded');
          onRecorded();
        }
      })
      .catch((error: unknown) => logger.error({ err: error, code: 'client_expiry_record_failed' }, 'client suspension expiries could not be recorded; retrying at the next interval'))
      .finally(() => {
        running = undefined;
      });
  };
  run();
  const timer = setInterval(run, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
