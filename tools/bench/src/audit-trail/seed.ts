import type pg from 'pg';

// Seeds the audit trail with access decisions generated in SQL by generate_series, one staging
// table per month. Each table is filled and indexed without the partitioned table's overhead, two
// at a time, then attached as that month's partition; ATTACH finds the matching indexes and the
// range CHECK constraint and skips rebuilding and rescanning.
//
// Data shape, a guess at a busy API and not a measurement: 50,000 users and 500 M2M clients with
// squared-random activity, 10% of requests from clients and 5% denied. Resources have four types
// and ids cubed-random over a million ids per type, so a few are very hot and most rarely touched.

export const RESOURCE_TYPES = ['transactions', 'accounts', 'payments', 'statements'];
export const IDS_PER_TYPE = 1_000_000;

/** Draws a resource the way the seed does, for queries that follow the same popularity. */
export function drawResource(random: () => number = Math.random): { type: string; id: string } {
  const type = RESOURCE_TYPES[Math.floor(random() ** 2 * RESOURCE_TYPES.length)]!;
  return { type, id: String(Math.floor(random() ** 3 * IDS_PER_TYPE)) };
}

interface MonthSlice {
  name: string;
  monthStart: Date;
  monthEnd: Date;
  from: Date;
  to: Date;
  rows: number;
}

function monthSlices(from: Date, to: Date, rows: number): MonthSlice[] {
  const slices: MonthSlice[] = [];
  const total = to.getTime() - from.getTime();
  let cursor = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), 1));
  while (cursor < to) {
    const next = new Date(Date.UTC(cursor.getUTCFullYear(), cursor.getUTCMonth() + 1, 1));
    const sliceFrom = cursor < from ? from : cursor;
    const sliceTo = next > to ? to : next;
    const name = `audit_events_y${cursor.getUTCFullYear()}m${String(cursor.getUTCMonth() + 1).padStart(2, '0')}`;
    slices.push({ name, monthStart: cursor, monthEnd: next, from: sliceFrom, to: sliceTo, rows: Math.round((rows * (sliceTo.getTime() - sliceFrom.getTime())) / total) });
    cursor = next;
  }
  return slices;
}

async function fillAndIndex(pool: pg.Pool, slice: MonthSlice, indexDefinitions: string[]): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query(`CREATE TABLE ${slice.name} (LIKE audit_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`);
    await client.query(`ALTER TABLE ${slice.name} ADD CONSTRAINT ${slice.name}_range CHECK (occurred_at >= '${slice.monthStart.toISOString()}' AND occurred_at < '${slice.monthEnd.toISOString()}')`);
    await client.query(`
      INSERT INTO ${slice.name} (event_id, occurred_at, kind, version, producer, principal_type, principal_id, action,
        resource_type, resource_id, http_method, http_path, http_status, decision, request_id, client_ip, user_agent, scopes, context)
      SELECT gen_random_uuid(), $1::timestamptz + random() * ($2::timestamptz - $1::timestamptz), 'access.decision', 1, 'token-validation',
        CASE WHEN m2m THEN 'm2m' ELSE 'user' END,
        CASE WHEN m2m THEN 'm2m_client_' || floor(power(random(), 2) * 500)::int ELSE 'user-' || floor(power(random(), 2) * 50000)::int END,
        'api.access', resource_type, resource_id, 'GET', '/api/' || resource_type || '/' || resource_id,
        CASE WHEN deny THEN 403 ELSE 200 END, CASE WHEN deny THEN 'deny' ELSE 'allow' END,
        md5(n::text), '10.0.' || (n % 256) || '.' || (n % 251), 'partner-sdk/1.4', ARRAY['transactions:read'], '{}'::jsonb
      FROM (
        SELECT n, random() < 0.1 AS m2m, random() < 0.05 AS deny,
          ($4::text[])[1 + floor(power(random(), 2) * array_length($4::text[], 1))::int] AS resource_type,
          floor(power(random(), 3) * $5)::int::text AS resource_id
        FROM generate_series(1, $3::int) AS n
      ) AS drawn`, [slice.from, slice.to, slice.rows, RESOURCE_TYPES, IDS_PER_TYPE]);
    await client.query(`ALTER TABLE ${slice.name} ADD PRIMARY KEY (occurred_at, event_id)`);
    for (const definition of indexDefinitions) await client.query(definition.replace('%TABLE%', slice.name));
    await client.query(`VACUUM (ANALYZE) ${slice.name}`);
  } finally {
    client.release();
  }
}

/** Seeds `rows` access decisions spread evenly over the `days` before `now`. */
export async function seedTrail(pool: pg.Pool, rows: number, days: number, now: Date): Promise<void> {
  const slices = monthSlices(new Date(now.getTime() - days * 24 * 3600 * 1000), now, rows);

  // The partitioned table's own index definitions, retargeted at each staging table.
  const indexes = await pool.query<{ indexdef: string }>(`
    SELECT indexdef FROM pg_indexes WHERE tablename = 'audit_events' AND indexname <> 'audit_events_pkey'`);
  const indexDefinitions = indexes.rows.map((row) => row.indexdef
    .replace(/^CREATE INDEX \S+ ON ONLY \S+/, 'CREATE INDEX ON %TABLE%'));

  // Two at a time: one per core of the machine the benchmark was written for.
  const queue = [...slices];
  await Promise.all([0, 1].map(async () => {
    for (let slice = queue.shift(); slice !== undefined; slice = queue.shift()) await fillAndIndex(pool, slice, indexDefinitions);
  }));

  for (const slice of slices) {
    await pool.query(`ALTER TABLE audit_events ATTACH PARTITION ${slice.name} FOR VALUES FROM ('${slice.monthStart.toISOString()}') TO ('${slice.monthEnd.toISOString()}')`);
    await pool.query(`CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON ${slice.name} FOR EACH STATEMENT EXECUTE FUNCTION audit_events_reject_change()`);
  }
}
