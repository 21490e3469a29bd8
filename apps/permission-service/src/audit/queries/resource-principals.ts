import { sql, type Kysely } from 'kysely';
import type { Database } from '../../database/database.ts';
import { MICROSECOND_TIME, decodeCursor, encodeCursor } from './cursor.ts';
import { isoMicros } from './sql-helpers.ts';
import type { TimeWindow } from './window.ts';

export interface ResourcePrincipal {
  principalType: 'user' | 'm2m' | 'system';
  principalId: string;
  /** Every audit event of this principal on the resource in the window. */
  events: number;
  allowed: number;
  denied: number;
  firstAccessAt: string;
  lastAccessAt: string;
}

export interface ResourcePrincipalsQuery {
  resourceType: string;
  resourceId: string;
  window: TimeWindow;
  limit: number;
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

interface Row {
  principal_type: ResourcePrincipal['principalType'];
  principal_id: string;
  events: number;
  allowed: number;
  denied: number;
  first_access_at: string;
  last_access_at: string;
}

/**
 * Lists who accessed a resource in a time window: users and M2M clients together, one row per
 * principal with its counts, most recent access first. The counts come from an index-only scan of
 * audit_events_resource_idx in the partitions the window touches.
 */
export async function resourcePrincipals(db: Kysely<Database>, query: ResourcePrincipalsQuery): Promise<Page<ResourcePrincipal>> {
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, [MICROSECOND_TIME, 'string', 'string']);
  const keyset = after === undefined
    ? sql`true`
    : sql`(last_access_at, principal_type, principal_id) < (${after[0]}::timestamptz, ${after[1]}, ${after[2]})`;

  const result = await sql<Row>`
    SELECT principal_type, principal_id, events, allowed, denied,
      ${isoMicros(sql`first_access_at`)} AS first_access_at,
      ${isoMicros(sql`last_access_at`)} AS last_access_at
    FROM (
      SELECT principal_type, principal_id,
        count(*)::int AS events,
        (count(*) FILTER (WHERE decision = 'allow'))::int AS allowed,
        (count(*) FILTER (WHERE decision = 'deny'))::int AS denied,
        min(occurred_at) AS first_access_at,
        max(occurred_at) AS last_access_at
      FROM audit_events
      WHERE resource_type = ${query.resourceType}
        AND resource_id = ${query.resourceId}
        AND occurred_at >= ${query.window.from}
        AND occurred_at < ${query.window.to}
      GROUP BY principal_type, principal_id
    ) AS per_principal
    WHERE ${keyset}
    ORDER BY last_access_at DESC, principal_type DESC, principal_id DESC
    LIMIT ${query.limit + 1}`.execute(db);

  const rows = result.rows.slice(0, query.limit);
  const last = rows.at(-1);
  return {
    items: rows.map((row) => ({
      principalType: row.principal_type,
      principalId: row.principal_id,
      events: row.events,
      allowed: row.allowed,
      denied: row.denied,
      firstAccessAt: row.first_access_at,
      lastAccessAt: row.last_access_at,
    })),
    nextCursor: result.rows.length > query.limit && last !== undefined ? encodeCursor([last.last_access_at, last.principal_type, last.principal_id]) : null,
  };
}
