import { sql, type Kysely } from 'kysely';
import { HttpProblem } from '@platform/service-kit';
import type { Database } from '../database/database.ts';
import type { OutboxMessage } from '../database/tables.ts';
import type { Actor } from '../outbox/actor.ts';
import { auditMessage, sessionRevocationMessage, tokenRevocationMessage } from '../outbox/messages.ts';
import { writeOutbox } from '../outbox/write.ts';
import { isUuid } from './ids.ts';
import { lockUser, readUser } from './queries.ts';
import { userStatusSql, type UserStatus } from './status.ts';
import { USER_COLUMNS, type UserRecord } from './view.ts';

export interface FindOrCreateRequest {
  subject: string;
  email?: string;
  displayName?: string;
}

/**
 * Returns the user linked to an identity provider subject, creating it on first login. A subject
 * whose user was deleted gets that deleted user back (status `deleted`), never a fresh account, so
 * deleting a user cannot be undone by logging in again. Email and display name are refreshed from
 * the provider's claims when given. Concurrent first logins of one subject create one user.
 */
export async function findOrCreateUser(db: Kysely<Database>, request: FindOrCreateRequest): Promise<{ user: UserRecord; created: boolean }> {
  return db.transaction().execute(async (trx) => {
    // Serialises first logins of one subject; the unique index on live subjects is the backstop.
    await sql`select pg_advisory_xact_lock(hashtextextended(${`user-subject:${request.subject}`}, 0))`.execute(trx);

    const existing = await trx
      .selectFrom('users')
      .select([...USER_COLUMNS, userStatusSql().as('status')])
      .where('subject', '=', request.subject)
      .orderBy((eb) => eb('deleted_at', 'is', null), 'desc')
      .orderBy('deleted_at', 'desc')
      .limit(1)
      .executeTakeFirst();

    if (existing !== undefined) {
      const changes = {
        ...(request.email !== undefined && request.email !== existing.email ? { email: request.email } : {}),
        ...(request.displayName !== undefined && request.displayName !== existing.display_name ? { display_name: request.displayName } : {}),
      };
      if (existing.deleted_at === null && Object.keys(changes).length > 0) {
        await trx.updateTable('users').set({ ...changes, updated_at: sql`now()` }).where('id', '=', existing.id).execute();
        return { user: await readUser(trx, existing.id), created: false };
      }
      return { user: existing, created: false };
    }

    const inserted = await trx
      .insertInto('users')
      .values({ subject: request.subject, email: request.email ?? null, display_name: request.displayName ?? null })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { user: await readUser(trx, inserted.id), created: true };
  });
}

export interface ListUsersRequest {
  status?: UserStatus;
  subject?: string;
  /** Case-insensitive substring of email, display name or subject; `%` and `_` match literally. */
  search?: string;
  limit: number;
  /** Id of the last user of the previous page. */
  after?: string;
}

/** Escapes LIKE wildcards so that user input matches literally. */
export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (character) => `\\${character}`);
}

/** Lists users, newest first, with keyset paging on (created_at, id). */
export async function listUsers(db: Kysely<Database>, request: ListUsersRequest): Promise<UserRecord[]> {
  let query = db.selectFrom('users').select([...USER_COLUMNS, userStatusSql().as('status')]);
  if (request.status !== undefined) query = query.where(userStatusSql(), '=', request.status);
  if (request.subject !== undefined) query = query.where('subject', '=', request.subject);
  if (request.search !== undefined) {
    const pattern = `%${escapeLike(request.search)}%`;
    query = query.where((eb) => eb.or([eb('email', 'ilike', pattern), eb('display_name', 'ilike', pattern), eb('subject', 'ilike', pattern)]));
  }
  if (request.after !== undefined) {
    const after = request.after;
    query = query.where((eb) => eb(
      eb.refTuple('created_at', 'id'),
      '<',
      eb.selectFrom('users as cursor_user').select(['cursor_user.created_at', 'cursor_user.id']).where('cursor_user.id', '=', after).$asTuple('created_at', 'id'),
    ));
  }
  return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(request.limit).execute();
}

/** Opaque page cursor: the id of the last user returned. */
export function encodeCursor(id: string): string {
  return Buffer.from(JSON.stringify({ after: id }), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    const after = (value as { after?: unknown }).after;
    if (typeof after === 'string' && isUuid(after)) return after;
  } catch {
    // reported below
  }
  throw new HttpProblem(400, 'invalid_cursor', 'The cursor is not one this service returned.');
}

/**
 * Soft-deletes a user: marks it deleted (its suspension columns and history stay), and writes to the
 * outbox the end of its sessions, an open-ended blacklist entry for its tokens and the audit event.
 */
export async function deleteUser(db: Kysely<Database>, userId: string, actor: Actor): Promise<UserRecord> {
  return db.transaction().execute(async (trx) => {
    const user = await lockUser(trx, userId);
    if (user.deleted_at !== null) throw new HttpProblem(409, 'already_deleted', 'The user is already deleted.');
    const { deleted_at: deletedAt } = await trx
      .updateTable('users')
      .set({ deleted_at: sql`now()`, deleted_by: actor.reference, updated_at: sql`now()` })
      .where('id', '=', user.id)
      .returning('deleted_at')
      .executeTakeFirstOrThrow();

    const key = ['user-delete', user.id, deletedAt!.toISOString()];
    await writeOutbox(trx, 'user.deleted', [
      sessionRevocationMessage(key, user.subject, 'user deleted', actor),
      tokenRevocationMessage(key, user.subject, { notBefore: deletedAt!, until: null, reason: 'user deleted' }, actor),
      auditMessage(key, 'admin.action', deletedAt!, {
        principal: { type: 'user', id: user.subject },
        action: 'user.delete',
        resource: { type: 'user', id: user.id },
        decision: 'success',
        context: { operation: 'user.delete' },
      }, actor),
    ]);
    return readUser(trx, user.id);
  });
}

/**
 * Restores a soft-deleted user. Its tokens from before the deletion stay rejected; while a
 * suspension is still running, every token stays rejected until the suspension ends.
 * 409 when another live user has taken the same subject meanwhile.
 */
export async function restoreUser(db: Kysely<Database>, userId: string, actor: Actor): Promise<UserRecord> {
  try {
    return await db.transaction().execute(async (trx) => {
      const user = await lockUser(trx, userId);
      if (user.deleted_at === null) throw new HttpProblem(409, 'not_deleted', 'The user is not deleted.');
      await trx.updateTable('users').set({ deleted_at: null, deleted_by: null, updated_at: sql`now()` }).where('id', '=', user.id).execute();
      const restored = await readUser(trx, user.id);

      const key = ['user-restore', user.id, restored.updated_at.toISOString()];
      const suspended = restored.status === 'suspended';
      const messages: OutboxMessage[] = [
        tokenRevocationMessage(key, user.subject, {
          notBefore: suspended && restored.suspended_at! > user.deleted_at! ? restored.suspended_at! : user.deleted_at!,
          ...(suspended ? { until: restored.suspension_expires_at } : {}),
          reason: suspended ? 'user restored while suspended' : 'user restored',
        }, actor),
        auditMessage(key, 'admin.action', restored.updated_at, {
          principal: { type: 'user', id: user.subject },
          action: 'user.restore',
          resource: { type: 'user', id: user.id },
          decision: 'success',
          context: { operation: 'user.restore' },
        }, actor),
      ];
      await writeOutbox(trx, 'user.restored', messages);
      return restored;
    });
  } catch (error) {
    if (isUniqueViolation(error, 'users_live_subject_key')) {
      throw new HttpProblem(409, 'subject_in_use', 'Another user with the same identity provider subject exists; delete it first.');
    }
    throw error;
  }
}

export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const pgError = error as { code?: string; constraint?: string };
  return pgError?.code === '23505' && (constraint === undefined || pgError.constraint === constraint);
}
