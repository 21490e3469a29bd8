import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { findPostgresBinDir, freePort } from '@platform/testing';
import { StackError } from './errors.ts';

// The stack's own PostgreSQL server: Debian's binaries, data kept under the stack folder so users
// and roles survive restarts, trust authentication on 127.0.0.1 only. PostgreSQL refuses to run as
// root, so as root the server runs as the `postgres` user and its folder belongs to that user.

export interface StackPostgres {
  readonly databaseUrl: string;
  readonly dataDir: string;
  stop(): Promise<void>;
}

export const STACK_DATABASE = 'platform';

function postgresOwner(): { uid: number; gid: number } {
  const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) throw new StackError('running as root but the postgres user is missing; install the postgresql package');
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/**
 * Chooses the folder of the server's data. As root it must be reachable by the postgres user. When
 * the repository sits where that user cannot enter (a home folder with mode 0700, say), the data
 * goes to a folder under the system's temporary directory, named after the stack folder.
 */
function serverFolder(stackDir: string, asRoot: boolean): string {
  const preferred = join(stackDir, 'postgres');
  if (!asRoot) return preferred;
  mkdirSync(stackDir, { recursive: true });
  const reachable = spawnSync('runuser', ['-u', 'postgres', '--', 'test', '-x', stackDir]).status === 0;
  if (reachable) return preferred;
  const suffix = createHash('sha256').update(stackDir).digest('hex').slice(0, 12);
  return join(tmpdir(), `platform-stack-postgres-${suffix}`);
}

export async function startStackPostgres(stackDir: string, log: (line: string) => void): Promise<StackPostgres> {
  const binDir = findPostgresBinDir();
  if (binDir === undefined) throw new StackError('PostgreSQL server binaries are missing; install them with: apt-get install postgresql');
  const asRoot = userInfo().uid === 0;
  const folder = serverFolder(stackDir, asRoot);
  const dataDir = join(folder, 'data');
  mkdirSync(folder, { recursive: true });
  if (asRoot) {
    const owner = postgresOwner();
    chownSync(folder, owner.uid, owner.gid);
  }

  const run = (binary: string, args: string[]) => {
    const command = asRoot ? 'runuser' : join(binDir, binary);
    const fullArgs = asRoot ? ['-u', 'postgres', '--', join(binDir, binary), ...args] : args;
    try {
      execFileSync(command, fullArgs, { stdio: 'pipe', cwd: folder });
    } catch (error) {
      const output = (error as { stderr?: Buffer }).stderr?.toString().trim();
      throw new StackError(`PostgreSQL ${binary} failed: ${output || (error as Error).message}`);
    }
  };

  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    log(`initializing PostgreSQL data in ${dataDir}`);
    mkdirSync(dataDir, { recursive: true });
    if (asRoot) {
      const owner = postgresOwner();
      chownSync(dataDir, owner.uid, owner.gid);
    }
    chmodSync(dataDir, 0o700);
    run('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8']);
  }

  // A server left running by a stack that was killed is stopped first, so the port below is used.
  if (existsSync(join(dataDir, 'postmaster.pid'))) {
    try {
      run('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
    } catch {
      // the pid file was stale
    }
  }

  const port = await freePort();
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${folder}`;
  run('pg_ctl', ['-D', dataDir, '-o', options, '-l', join(folder, 'server.log'), '-w', 'start']);

  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const existing = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [STACK_DATABASE]);
    if (existing.rowCount === 0) await client.query(`CREATE DATABASE ${STACK_DATABASE}`);
  } finally {
    await client.end();
  }

  return {
    databaseUrl: `postgres://postgres@127.0.0.1:${port}/${STACK_DATABASE}`,
    dataDir,
    stop: async () => {
      try {
        run('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
      } catch {
        // already stopped
      }
    },
  };
}
