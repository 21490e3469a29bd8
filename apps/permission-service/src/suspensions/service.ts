import { sql, type Kysely, type Transaction } from 'kysely';
import { HttpProblem } from '@platform/service-kit';
import type { Database } from '../database/database.ts';
import type { Actor } from '../outbox/actor.ts';
import { SYSTEM_ACTOR } from '../outbox/actor.ts';
import { auditMessage, sessionRevocationMessage, suspensionExpiryMessage, tokenLiftMessage, tokenRevocationMessage } from '../outbox/messages.ts';
import { writeOutbox } from '../outbox/write.ts';
import { lockUser, readUser } from '../users/queries.ts';
import type { UserRecord } from '../users/view.ts';
import type { OutboxMessage, UserSuspensionsTable } from '../database/tables.ts';
import type { Selectable } from 'kysely';

export type SuspensionRow = Selectable<UserSuspensionsTable>;

export interface SuspendRequest {
  userId: string;
  reason: string;
  /** Absolute end of the suspension. */
  expiresAt?: Date;
  /** Length of the suspension from now on the database clock. */
  durationSeconds?: number;
  actor: Actor;
}

export interface SuspensionResult {
  user: UserRecord;
  suspension: SuspensionRow;
  /** Database time the change took effect. */
  at: Date;
}

/**
 * Suspends a user in one transaction. It locks the user row and closes any open suspension (as
 * expired when its end has passed, else as superseded). It then opens a new history row, sets the
 * user's suspension columns and writes the fan-out to the outbox: session revocation, token
 * blacklist until the end, audit event and expiry job. Nothing is stored unless all of it is.
 */
export async function suspendUser(db: Kysely<Database>, request: SuspendRequest): Promise<SuspensionResult> {
  if (request.expiresAt !== undefined && request.durationSeconds !== undefined) {
    throw new HttpProblem(400, 'invalid_expiry', 'Give either expiresAt or durationSeconds, not both.');
  }
  if (request.durationSeconds !== undefined && !(Number.isInteger(request.durationSeconds) && request.durationSeconds > 0)) {
    throw new HttpProblem(400, 'invalid_duration', 'durationSeconds must be a positive whole number of seconds.');
  }
  if (request.expiresAt !== undefined && Number.isNaN(request.expiresAt.getTime())) {
    throw new HttpProblem(400, 'invalid_expiry', 'expiresAt is not a valid date-time.');
  }

  return db.transaction().execute(async (trx) => {
    const user = await lockUser(trx, request.userId);
    if (user.status === 'deleted') throw new HttpProblem(409, 'user_deleted', 'The user is deleted; restore it before suspending it.');

    // The end is computed and checked on the database clock, the same clock every status read uses.
    const expiry = request.expiresAt !== undefined ? sql`${request.expiresAt}::timestamptz`
      : request.durationSeconds !== undefined ? sql`now() + make_interval(secs => ${request.durationSeconds}::double precision)`
      : sql`null::timestamptz`;
    const timing = (await sql<{ now: Date; expires_at: Date | null }>`select now() as now, ${expiry} as expires_at`.execute(trx)).rows[0]!;
    if (timing.expires_at !== null && timing.expires_at.getTime() <= timing.now.getTime()) {
      throw new HttpProblem(400, 'expiry_in_past', 'The suspension must end in the future.');
    }

    const messages: OutboxMessage[] = [];
    const previous = await closeOpenSuspension(trx, user.id);
    if (previous?.end_reason === 'expired') {
      messages.push(auditMessage(['suspension', previous.id], 'user.suspension_expired', previous.ended_at!, expiredAuditInput(user, previous), SYSTEM_ACTOR));
    }

    const suspension = await trx
      .insertInto('user_suspensions')
      .values({ user_id: user.id, reason: request.reason, suspended_by: request.actor.reference, expires_at: timing.expires_at, suspended_at: timing.now })
      .returningAll()
      .executeTakeFirstOrThrow();
    await trx
      .updateTable('users')
      .set({
        suspended_at: suspension.suspended_at,
        suspension_expires_at: suspension.expires_at,
        suspension_reason: suspension.reason,
        suspended_by: suspension.suspended_by,
        suspension_id: suspension.id,
        updated_at: sql`now()`,
      })
      .where('id', '=', user.id)
      .execute();

    const key = ['suspension', suspension.id];
    messages.push(
      sessionRevocationMessage(key, user.subject, `suspended: ${request.reason}`, request.actor),
      tokenRevocationMessage(key, user.subject, { notBefore: suspension.suspended_at, until: suspension.expires_at, reason: `suspended: ${request.reason}` }, request.actor),
      auditMessage(key, 'user.suspended', suspension.suspended_at, {
        principal: { type: 'user', id: user.subject },
        action: 'user.suspend',
        resource: { type: 'user', id: user.id },
        decision: 'success',
        reason: request.reason.slice(0, 512),
        context: { targetUserId: user.id, suspensionId: suspension.id, expiresAt: suspension.expires_at?.toISOString() ?? null },
      }, request.actor),
    );
    if (suspension.expires_at !== null) messages.push(suspensionExpiryMessage(suspension.id, user.id, suspension.expires_at));
    await writeOutbox(trx, 'user.suspended', messages);

    return { user: await readUser(trx, user.id), suspension, at: timing.now };
  });
}

/** Closes the user's open history row, if any: as expired at its end when that has passed, else as superseded now. */
async function closeOpenSuspension(trx: Transaction<Database>, userId: string): Promise<SuspensionRow | undefined> {
  return trx
    .updateTable('user_suspensions')
    .set({
      ended_at: sql`case when expires_at is not null and expires_at <= now() then expires_at else now() end`,
      end_reason: sql`case when expires_at is not null and expires_at <= now() then 'expired' else 'superseded' end`,
    })
    .where('user_id', '=', userId)
    .where('ended_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
}

function expiredAuditInput(user: UserRecord, suspension: SuspensionRow) {
  return {
    principal: { type: 'user' as const, id: user.subject },
    action: 'user.suspension_expire',
    resource: { type: 'user', id: user.id },
    decision: 'success' as const,
    context: { targetUserId: user.id, suspensionId: suspension.id },
  };
}

/**
 * Lifts the user's current suspension: closes the history row as lifted by the actor, clears the
 * user's suspension columns, and writes the blacklist lift and the audit event to the outbox.
 * The blacklist entry stays when the user is deleted, because deletion keeps its own block.
 */
export async function liftSuspension(db: Kysely<Database>, userId: string, actor: Actor): Promise<SuspensionResult> {
  return db.transaction().execute(async (trx) => {
    const user = await lockUser(trx, userId);
    if (user.status !== 'suspended') throw new HttpProblem(409, 'not_suspended', 'The user is not suspended.');

    const suspension = await trx
      .updateTable('user_suspensions')
      .set({ ended_at: sql`now()`, end_reason: 'lifted', lifted_by: actor.reference })
      .where('user_id', '=', user.id)
      .where('ended_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    if (suspension === undefined) throw new Error(`user ${user.id} is suspended but has no open suspension row`);
    await clearSuspensionColumns(trx, user.id);

    const key = ['suspension', suspension.id];
    const messages: OutboxMessage[] = [];
    if (user.deleted_at === null) messages.push(tokenLiftMessage(key, user.subject, 'suspension lifted', actor));
    messages.push(auditMessage(key, 'user.suspension_lifted', suspension.ended_at!, {
      principal: { type: 'user', id: user.subject },
      action: 'user.suspension_lift',
      resource: { type: 'user', id: user.id },
      decision: 'success',
      context: { targetUserId: user.id, suspensionId: suspension.id },
    }, actor));
    await writeOutbox(trx, 'user.suspension_lifted', messages);

    return { user: await readUser(trx, user.id), suspension, at: suspension.ended_at! };
  });
}

export type ExpiryOutcome =
  | { outcome: 'expired'; suspension: SuspensionRow }
  | { outcome: 'not_due'; remainingMs: number }
  | { outcome: 'already_ended' | 'missing' | 'open_ended' };

/**
 * Performs the side effects of a suspension reaching its end: closes the history row as expired at its end
 * time, clears the user's suspension columns, and writes the audit event and the blacklist lift to
 * the outbox. Idempotent, and a no-op when the suspension was lifted or replaced meanwhile. Returns
 * `not_due` when the database clock has not reached the end yet.
 */
export async function expireSuspension(db: Kysely<Database>, suspensionId: string): Promise<ExpiryOutcome> {
  const target = await db.selectFrom('user_suspensions').select(['user_id']).where('id', '=', suspensionId).executeTakeFirst();
  if (target === undefined) return { outcome: 'missing' };

  return db.transaction().execute(async (trx): Promise<ExpiryOutcome> => {
    // Same lock order as suspend and lift (user row first), so the three never deadlock.
    const user = await lockUser(trx, target.user_id);
    const row = await trx
      .selectFrom('user_suspensions')
      .selectAll()
      .select(sql<number>`extract(epoch from (expires_at - now())) * 1000`.as('remaining_ms'))
      .where('id', '=', suspensionId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    if (row.ended_at !== null) return { outcome: 'already_ended' };
    if (row.expires_at === null) return { outcome: 'open_ended' };
    if (Number(row.remaining_ms) > 0) return { outcome: 'not_due', remainingMs: Math.ceil(Number(row.remaining_ms)) };

    const suspension = await trx
      .updateTable('user_suspensions')
      .set({ ended_at: row.expires_at, end_reason: 'expired' })
      .where('id', '=', suspensionId)
      .returningAll()
      .executeTakeFirstOrThrow();
    if (user.suspension_id === suspensionId) await clearSuspensionColumns(trx, user.id);

    const key = ['suspension', suspensionId];
    const messages: OutboxMessage[] = [];
    if (user.deleted_at === null) messages.push(tokenLiftMessage(key, user.subject, 'suspension expired', SYSTEM_ACTOR));
    messages.push(auditMessage(key, 'user.suspension_expired', row.expires_at, expiredAuditInput(user, suspension), SYSTEM_ACTOR));
    await writeOutbox(trx, 'user.suspension_expired', messages);
    return { outcome: 'expired', suspension };
  });
}

async function clearSuspensionColumns(trx: Transaction<Database>, userId: string): Promise<void> {
  await trx
    .updateTable('users')
    .set({ suspended_at: null, suspension_expires_at: null, suspension_reason: null, suspended_by: null, suspension_id: null, updated_at: sql`now()` })
    .where('id', '=', userId)
    .execute();
}

export interface SuspensionPage {
  suspensions: SuspensionRow[];
  now: Date;
}

/** Lists a user's suspension history, newest first. */
export async function listSuspensions(db: Kysely<Database>, userId: string, limit: number): Promise<SuspensionPage> {
  const rows = await db
    .selectFrom('user_suspensions')
    .selectAll()
    .select(sql<Date>`now()`.as('now'))
    .where('user_id', '=', userId)
    .orderBy('suspended_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  const now = rows[0]?.now ?? new Date();
  return { suspensions: rows.map(({ now: _now, ...row }) => row), now };
}
