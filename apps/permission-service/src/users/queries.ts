import type { Kysely, Transaction } from 'kysely';
import { HttpProblem } from '@platform/service-kit';
import type { Database } from '../database/database.ts';
import { isUuid } from './ids.ts';
import { userStatusSql } from './status.ts';
import { USER_COLUMNS, type UserRecord } from './view.ts';

export function userNotFound(): HttpProblem {
  return new HttpProblem(404, 'user_not_found', 'No user has this id.');
}

/** Reads a user with its derived status; undefined for an unknown or malformed id. */
export async function findUser(db: Kysely<Database>, id: string): Promise<UserRecord | undefined> {
  if (!isUuid(id)) return undefined;
  return db.selectFrom('users').select([...USER_COLUMNS, userStatusSql().as('status')]).where('id', '=', id).executeTakeFirst();
}

/**
 * Reads and row-locks a user inside a transaction; throws 404 when it does not exist. Every change
 * to a user's suspension or deletion takes this lock first, so concurrent calls for one user run
 * one after another, each reading the result of the previous one.
 */
export async function lockUser(trx: Transaction<Database>, id: string): Promise<UserRecord> {
  if (!isUuid(id)) throw userNotFound();
  const user = await trx.selectFrom('users').select([...USER_COLUMNS, userStatusSql().as('status')]).where('id', '=', id).forUpdate().executeTakeFirst();
  if (user === undefined) throw userNotFound();
  return user;
}

/** Re-reads a user after changes in the same transaction. */
export async function readUser(trx: Transaction<Database>, id: string): Promise<UserRecord> {
  return trx.selectFrom('users').select([...USER_COLUMNS, userStatusSql().as('status')]).where('id', '=', id).executeTakeFirstOrThrow();
}
