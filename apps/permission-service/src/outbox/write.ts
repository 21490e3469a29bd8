import type { Transaction } from 'kysely';
import type { Database } from '../database/database.ts';
import type { OutboxMessage } from '../database/tables.ts';

/** Stores messages for the relay inside the caller's transaction; they are published only if it commits. */
export async function writeOutbox(trx: Transaction<Database>, topic: string, messages: OutboxMessage[]): Promise<string> {
  const row = await trx
    .insertInto('outbox')
    .values({ topic, messages: JSON.stringify(messages) })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}
