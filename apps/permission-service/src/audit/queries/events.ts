import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../../database/database.ts';
import { MICROSECOND_TIME, UUID, decodeCursor, encodeCursor } from './cursor.ts';
import { EVENT_COLUMNS, toEventView, type AuditEventView, type EventRow } from './event-rows.ts';
import type { Page } from './resource-principals.ts';
import type { TimeWindow } from './window.ts';

export interface EventsQuery {
  window: TimeWindow;
  limit: number;
  cursor?: string;
  decision?: string;
  action?: string;
  kind?: string;
  principalType?: string;
  resourceType?: string;
}

/** Lists the audit trail in a time window, newest first, narrowed by any of the optional filters. */
export async function listEvents(db: Kysely<Database>, query: EventsQuery): Promise<Page<AuditEventView>> {
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, [MICROSECOND_TIME, UUID]);
  const conditions: RawBuilder<unknown>[] = [
    sql`occurred_at >= ${query.window.from}`,
    sql`occurred_at < ${query.window.to}`,
  ];
  if (after !== undefined) conditions.push(sql`(occurred_at, event_id) < (${after[0]}::timestamptz, ${after[1]}::uuid)`);
  if (query.decision !== undefined) conditions.push(sql`decision = ${query.decision}`);
  if (query.action !== undefined) conditions.push(sql`action = ${query.action}`);
  if (query.kind !== undefined) conditions.push(sql`kind = ${query.kind}`);
  if (query.principalType !== undefined) conditions.push(sql`principal_type = ${query.principalType}`);
  if (query.resourceType !== undefined) conditions.push(sql`resource_type = ${query.resourceType}`);

  // NOTE: a rare filter value over a long window walks many entries of the primary key index.
  // The window bound caps that cost but does not make it small.
  const result = await sql<EventRow>`
    SELECT ${EVENT_COLUMNS} FROM audit_events
    WHERE ${sql.join(conditions, sql` AND `)}
    ORDER BY occurred_at DESC, event_id DESC
    LIMIT ${query.limit + 1}`.execute(db);

  const rows = result.rows.slice(0, query.limit);
  const last = rows.at(-1);
  return {
    items: rows.map(toEventView),
    nextCursor: result.rows.length > query.limit && last !== undefined ? encodeCursor([last.occurred_at_text, last.event_id]) : null,
  };
}
