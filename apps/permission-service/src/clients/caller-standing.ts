import type { Kysely } from 'kysely';
import type { CallerStanding } from '../auth/caller.ts';
import type { Database } from '../database/database.ts';
import { clientStatusSql } from './status.ts';

const BLOCKED: Record<string, { code: string; detail: string }> = {
  suspended: { code: 'caller_suspended', detail: 'The calling M2M client is suspended.' },
  disabled: { code: 'caller_disabled', detail: 'The calling M2M client is disabled.' },
  deleted: { code: 'caller_deleted', detail: 'The calling M2M client is deleted.' },
};

/**
 * Standing of an M2M caller from the client registry: blocked when the client is suspended,
 * disabled or deleted. Returns undefined for a client the registry does not know, which then acts
 * with its token permissions only.
 */
export function clientStandingLookup(db: Kysely<Database>) {
  return async (clientId: string): Promise<CallerStanding | undefined> => {
    const client = await db.selectFrom('m2m_clients').select(clientStatusSql().as('status')).where('id', '=', clientId).executeTakeFirst();
    if (client === undefined) return undefined;
    const blocked = BLOCKED[client.status];
    return blocked === undefined ? { permissions: new Set() } : { permissions: new Set(), blocked };
  };
}
