import { sql, type Kysely } from 'kysely';
import type { Database } from '../../database/database.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { isoMicros } from './sql-helpers.ts';
import type { TimeWindow } from './window.ts';

export interface HourlyUsage {
  /** Start of the hour, UTC. */
  hour: string;
  requests: number;
  denied: number;
}

export interface EndpointUsage {
  method: string;
  /** Path with numeric and UUID segments replaced by {id}, and without the query string. */
  endpoint: string;
  requests: number;
  denied: number;
  lastRequestAt: string;
}

export interface M2mUsage {
  clientId: string;
  totalRequests: number;
  hours: HourlyUsage[];
  endpoints: EndpointUsage[];
  nextCursor: string | null;
}

export interface M2mUsageQuery {
  clientId: string;
  window: TimeWindow;
  limit: number;
  cursor?: string;
}

// Turns /api/transactions/42?x=1 into /api/transactions/{id}, so one endpoint is one row.
const ENDPOINT = sql<string>`regexp_replace(split_part(http_path, '?', 1), '/([0-9]+|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})(?=/|$)', '/{id}', 'g')`;

/**
 * Requests of an M2M client in a time window: every hour with requests (a window spans at most the
 * configured maximum, so the list is bounded), and endpoints by request count with keyset pages.
 * Only access decisions count as requests.
 */
export async function m2mUsage(db: Kysely<Database>, query: M2mUsageQuery): Promise<M2mUsage> {
  const base = sql`
    principal_type = 'm2m' AND principal_id = ${query.clientId} AND kind = 'access.decision'
    AND occurred_at >= ${query.window.from} AND occurred_at < ${query.window.to}`;

  const hours = await sql<{ hour: string; requests: number; denied: number }>`
    SELECT to_char(date_trunc('hour', occurred_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD"T"HH24:00:00"Z"') AS hour,
      count(*)::int AS requests,
      (count(*) FILTER (WHERE decision = 'deny'))::int AS denied
    FROM audit_events WHERE ${base}
    GROUP BY 1 ORDER BY 1`.execute(db);

  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, ['number', 'string', 'string']);
  const keyset = after === undefined
    ? sql`true`
    : sql`(requests < ${after[0]} OR (requests = ${after[0]} AND (method, endpoint) > (${after[1]}, ${after[2]})))`;
  const endpoints = await sql<{ method: string; endpoint: string; requests: number; denied: number; last_request_at: string }>`
    SELECT method, endpoint, requests, denied, ${isoMicros(sql`last_request_at`)} AS last_request_at
    FROM (
      SELECT coalesce(http_method, '') AS method, coalesce(${ENDPOINT}, '') AS endpoint,
        count(*)::int AS requests,
        (count(*) FILTER (WHERE decision = 'deny'))::int AS denied,
        max(occurred_at) AS last_request_at
      FROM audit_events WHERE ${base}
      GROUP BY 1, 2
    ) AS per_endpoint
    WHERE ${keyset}
    ORDER BY requests DESC, method, endpoint
    LIMIT ${query.limit + 1}`.execute(db);

  const rows = endpoints.rows.slice(0, query.limit);
  const last = rows.at(-1);
  return {
    clientId: query.clientId,
    totalRequests: hours.rows.reduce((sum, row) => sum + row.requests, 0),
    hours: hours.rows,
    endpoints: rows.map((row) => ({ method: row.method, endpoint: row.endpoint, requests: row.requests, denied: row.denied, lastRequestAt: row.last_request_at })),
    nextCursor: endpoints.rows.length > query.limit && last !== undefined ? encodeCursor([last.requests, last.method, last.endpoint]) : null,
  };
}
