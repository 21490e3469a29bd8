// Classifies errors from node-postgres, so the ingestion worker can decide whether to wait for the
// database, to single out a bad event, or to let BullMQ retry the job.

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
// 57P01-57P03: server shutting down or starting; 53300: too many connections.
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);
const CONNECTION_MESSAGES = /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|the database system is (starting up|shutting down)/i;

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** True when the database could not be reached or dropped the connection. */
export function isConnectionError(error: unknown): boolean {
  const code = codeOf(error);
  if (code !== undefined && (NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08'))) return true;
  if (error instanceof AggregateError) return error.errors.some(isConnectionError);
  return error instanceof Error && CONNECTION_MESSAGES.test(error.message);
}

/** True when no partition exists for an event's month (SQLSTATE 23514 with this message). */
export function isMissingPartitionError(error: unknown): boolean {
  return codeOf(error) === '23514' && error instanceof Error && /no partition of relation/.test(error.message);
}

/** True when PostgreSQL rejected a value (SQLSTATE classes 22 and 23), so one event may be to blame. */
export function isDataError(error: unknown): boolean {
  const code = codeOf(error);
  return code !== undefined && (code.startsWith('22') || code.startsWith('23')) && !isMissingPartitionError(error);
}
