import { HttpProblem } from '@platform/service-kit';

// Keyset pagination cursors: the sort key of the last item of a page, as base64url JSON. A cursor
// marks only where to continue, so the filters and the time window must be sent again with it.

export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/**
 * Decodes a cursor into its key and checks each part with `shape`, which lists the expected type
 * of every part ('string', 'number' or a RegExp the string must match).
 */
export function decodeCursor(cursor: string, shape: readonly ('string' | 'number' | RegExp)[]): (string | number)[] {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  const valid = Array.isArray(key) && key.length === shape.length && shape.every((expected, index) => {
    const part: unknown = key[index];
    if (expected === 'number') return typeof part === 'number' && Number.isFinite(part);
    if (expected === 'string') return typeof part === 'string';
    return typeof part === 'string' && expected.test(part);
  });
  if (!valid) throw new HttpProblem(400, 'invalid_cursor', 'The cursor is malformed; use the nextCursor value of the previous page unchanged.');
  return key as (string | number)[];
}

/** Time with microseconds as the queries return it, e.g. 2026-12-04T20:10:36.123456Z. */
export const MICROSECOND_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
