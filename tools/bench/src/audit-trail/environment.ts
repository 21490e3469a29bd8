import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { createTestDatabase, freePort, startPostgresServer, startRedisServer, waitFor, type PostgresServer, type RedisServer } from '@platform/testing';

// The parts the audit benchmark runs against: a private PostgreSQL and Redis, the permission
// service's migrations, and the service itself as a child process (its real entry point), so the
// ingestion path measured is the one that runs in production.

const SERVICE_ROOT = join(import.meta.dirname, '..', '..', '..', '..', 'apps', 'permission-service');
const run = promisify(execFile);

// Memory settings for a 10-million-row trail on one machine; PostgreSQL reads them after a restart.
const SERVER_SETTINGS: Record<string, string> = {
  shared_buffers: '2GB',
  maintenance_work_mem: '1GB',
  work_mem: '64MB',
  max_wal_size: '8GB',
  checkpoint_timeout: '30min',
  max_parallel_maintenance_workers: '2',
};

export interface BenchEnvironment {
  readonly postgres: PostgresServer;
  readonly redis: RedisServer;
  readonly databaseUrl: string;
  readonly pool: pg.Pool;
  close(): Promise<void>;
}

export async function startEnvironment(): Promise<BenchEnvironment> {
  const [postgres, redis] = await Promise.all([startPostgresServer(), startRedisServer()]);
  const admin = new pg.Client({ connectionString: postgres.adminUrl });
  await admin.connect();
  for (const [name, value] of Object.entries(SERVER_SETTINGS)) await admin.query(`ALTER SYSTEM SET ${name} = '${value}'`);
  await admin.end();
  await postgres.stop();
  await postgres.start();

  const database = await createTestDatabase(postgres.adminUrl);
  await run(process.execPath, [join(SERVICE_ROOT, 'src', 'database', 'migrate-cli.ts'), 'latest'], { env: { ...process.env, DATABASE_URL: database.url, LOG_LEVEL: 'warn' } });
  const pool = new pg.Pool({ connectionString: database.url, max: 4 });
  return {
    postgres,
    redis,
    databaseUrl: database.url,
    pool,
    close: async () => {
      await pool.end();
      await redis.stop();
      await postgres.remove();
    },
  };
}

export interface ServiceProcess {
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts permission-service (src/main.ts) and resolves once /healthz returns 200. */
export async function startService(environment: Record<string, string>): Promise<ServiceProcess> {
  const port = await freePort();
  let stderr = '';
  const child: ChildProcess = spawn(process.execPath, [join(SERVICE_ROOT, 'src', 'main.ts')], {
    env: { ...process.env, ...environment, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`permission-service exited with ${child.exitCode}: ${stderr}`);
    return (await fetch(`${url}/healthz`)).ok;
  }, 'permission-service /healthz', 30_000, 100);
  return {
    url,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}
