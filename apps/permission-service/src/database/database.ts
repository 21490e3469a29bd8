import pg from 'pg';
import { Kysely, PostgresDialect, sql } from 'kysely';
import type { Logger } from 'pino';
import type { AuditTables } from '../audit/tables.ts';
import type { ClientTables } from '../clients/tables.ts';
import type { CoreTables } from './tables.ts';

/** Every table of permission-service; each concern declares its own tables in its folder. */
export type Database = CoreTables & AuditTables & ClientTables;

const TIMESTAMPTZ_OID = 1184;
const TIMESTAMP_OID = 1114;

// Timestamps come back as Date objects. The schema uses timestamptz only; a plain timestamp (which
// has no zone) is read as UTC so that the service's TZ never shifts a value.
const typeParsers = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === TIMESTAMPTZ_OID) return (value: string) => new Date(pg.types.getTypeParser(TIMESTAMPTZ_OID)(value) as Date);
    if (oid === TIMESTAMP_OID) return (value: string) => new Date(pg.types.getTypeParser(TIMESTAMPTZ_OID)(`${value}+00`) as Date);
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

export interface DatabaseHandle {
  readonly db: Kysely<Database>;
  readonly pool: pg.Pool;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  url: string;
  poolSize?: number;
  logger?: Logger;
  applicationName?: string;
}

/**
 * Opens a pg pool and a kysely instance over it. Each session runs with `TimeZone=UTC`, so text
 * rendered by the database and date arithmetic in SQL do not depend on the server's setting.
 */
export function openDatabase(options: DatabaseOptions): DatabaseHandle {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    types: typeParsers,
    options: '-c TimeZone=UTC',
    application_name: options.applicationName ?? 'permission-service',
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client that loses its connection emits on the pool; without a listener it would crash the process.
  pool.on('error', (error) => options.logger?.error({ err: error, code: 'postgres_connection_lost' }, 'idle PostgreSQL connection failed'));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    pool,
    close: async () => {
      await db.destroy();
    },
  };
}

/** Readiness probe: one round trip to PostgreSQL. */
export async function pingDatabase(db: Kysely<Database>): Promise<void> {
  await sql`select 1`.execute(db);
}
