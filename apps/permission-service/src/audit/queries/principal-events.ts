import { sql, type Kysely } from 'kysely';
import type { Database } from '../../database/database.ts';
import { MICROSECOND_TIME, UUID, decodeCursor, encodeCursor } from './cursor.ts';
import { EVENT_COLUMNS, toEventView, type AuditEventView, type EventRow } from './event-rows.ts';
import type { Page } from './resource-principals.ts';
import type { TimeWindow } from './window.ts';

export interface PrincipalEventsQuery {
  principalType: 'user' | 'm2m' | 'system';
  principalId: string;
  window: TimeWindow;
  limit: number;
  cursor?: string;
}

/**
 * Lists what a principal did in a time window, newest first: events where it is the principal,
 * and admin actions where it is the actor. Each half reads its own index in order and stops after one
 * page, so a busy principal costs no more than a quiet one.
 */
export async function principalEvents(db: Kysely<Database>, query: PrincipalEventsQuery): Promise<Page<AuditEventView>> {
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, [MICROSECOND_TIME, UUID]);
  const keyset = after === undefined ? sql`true` : sql`(occurred_at, event_id) < (${after[0]}::timestamptz, ${after[1]}::uuid)`;
  const window = sql`occurred_at >= ${query.window.from} AND occurred_at < ${query.window.to}`;
  const pageSize = query.limit + 1;

  const result = await sql<EventRow>`
    SELECT * FROM (
      (SELECT ${EVENT_COLUMNS} FROM audit_events
        WHERE principal_type = ${query.principalType} AND principal_id = ${query.principalId} AND ${window} AND ${keyset}
        ORDER BY occurred_at DESC, event_id DESC LIMIT ${pageSize})
      UNION ALL
      (SELECT ${EVENT_COLUMNS} FROM audit_events
        WHERE actor_type = ${query.principalType} AND actor_id = ${query.principalId}
          AND NOT (principal_type = ${query.principalType} AND principal_id = ${query.principalId})
          AND ${window} AND ${keyset}
        ORDER BY occurred_at DESC, event_id DESC LIMIT ${pageSize})
    ) AS combined
    ORDER BY occurred_at DESC, event_id DESC
    LIMIT ${pageSize}`.execute(db);

  const rows = result.rows.slice(0, query.limit);
  const last = rows.at(-1);
  return {
    items: rows.map(toEventView),
    nextCursor: result.rows.length > query.limit && last !== undefined ? encodeCursor([last.occurred_at_text, last.event_id]) : null,
  };
}
