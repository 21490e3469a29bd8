import { sql, type RawBuilder } from 'kysely';

/**
 * Renders a timestamptz as ISO 8601 UTC with microseconds. The queries return times as text
 * because a JavaScript Date keeps milliseconds only, and a cursor cut to milliseconds would skip
 * or repeat rows.
 */
export function isoMicros(expression: RawBuilder<unknown>): RawBuilder<string> {
  return sql<string>`to_char(${expression} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
}
