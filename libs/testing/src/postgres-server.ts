import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { findPostgresBinDir } from './binaries.ts';
import { freePort } from './ports.ts';

export interface PostgresServer {
  /** URL of the `postgres` database as the superuser. */
  readonly adminUrl: string;
  readonly port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  remove(): Promise<void>;
  /** Stops the server and deletes its data synchronously, for process exit handlers. */
  removeSync(): void;
}

function postgresUid(): { uid: number; gid: number } | undefined {
  const result = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  if (result.status !== 0) return undefined;
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  return { uid: Number(result.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/**
 * Starts a private PostgreSQL server from Debian's binaries on a free loopback port, with trust
 * authentication and its data in a temporary folder. PostgreSQL refuses to run as root, so when
 * this process is root the server runs as the `postgres` user.
 */
export async function startPostgresServer(): Promise<PostgresServer> {
  const binDir = findPostgresBinDir();
  if (binDir === undefined) throw new Error('PostgreSQL server binaries are missing; install them with `apt-get install postgresql`');
  const port = await freePort();
  const parent = mkdtempSync(join(tmpdir(), 'platform-pg-'));
  const dataDir = join(parent, 'data');
  mkdirSync(dataDir);

  const asRoot = userInfo().uid === 0;
  const owner = asRoot ? postgresUid() : undefined;
  if (asRoot && owner === undefined) throw new Error('running as root but the postgres user is missing; install the postgresql package');
  if (owner) {
    chownSync(parent, owner.uid, owner.gid);
    chownSync(dataDir, owner.uid, owner.gid);
  }
  chmodSync(dataDir, 0o700);

  const run = (binary: string, args: string[]) => {
    const command = asRoot ? 'runuser' : join(binDir, binary);
    const fullArgs = asRoot ? ['-u', 'postgres', '--', join(binDir, binary), ...args] : args;
    execFileSync(command, fullArgs, { stdio: 'pipe', cwd: parent });
  };

  run('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--no-sync']);
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${parent} -c fsync=off -c max_connections=200`;
  const start = async () => run('pg_ctl', ['-D', dataDir, '-o', options, '-l', join(parent, 'server.log'), '-w', 'start']);
  const stop = async () => run('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
  await start();

  return {
    adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    start,
    stop,
    remove: async () => {
      try {
        await stop();
      } catch {
        // already stopped
      }
      rmSync(parent, { recursive: true, force: true });
    },
    removeSync: () => {
      try {
        run('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
      } catch {
        // already stopped
      }
      rmSync(parent, { recursive: true, force: true });
    },
  };
}

export interface TestDatabase {
  readonly url: string;
  readonly name: string;
  drop(): Promise<void>;
}

let sharedServer: Promise<PostgresServer> | undefined;

/**
 * Creates an empty database for one test file. The server is TEST_DATABASE_ADMIN_URL when set (a
 * superuser URL), else a private server started once per test process and removed at exit.
 * NOTE: a vitest worker may be ended without running exit handlers, which leaves that private
 * server running. Projects that use this set TEST_DATABASE_ADMIN_URL in a vitest globalSetup.
 */
export async function createTestDatabase(adminUrl?: string): Promise<TestDatabase> {
  let admin = adminUrl ?? process.env['TEST_DATABASE_ADMIN_URL'];
  if (!admin) {
    sharedServer ??= startPostgresServer().then((server) => {
      process.once('exit', () => server.removeSync());
      return server;
    });
    admin = (await sharedServer).adminUrl;
  }
  const name = `test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: async () => {
      const dropper = new pg.Client({ connectionString: admin });
      await dropper.connect();
      try {
        await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await dropper.end();
      }
    },
  };
}
