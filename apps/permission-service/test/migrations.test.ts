import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, freePort, waitFor } from '@platform/testing';
import { openDatabase, type DatabaseHandle } from '../src/database/database.ts';
import { MIGRATIONS_FOLDER, runMigrations } from '../src/database/migrator.ts';
import { ALL_PERMISSIONS, startInfrastructure, type TestInfrastructure } from './support/service.ts';

const APP_ROOT = join(import.meta.dirname, '..');
const MIGRATION_NAMES = readdirSync(MIGRATIONS_FOLDER).filter((file) => /^\d{4}_[a-z0-9_]+\.ts$/.test(file)).map((file) => file.replace(/\.ts$/, '')).sort();

async function tableNames(handle: DatabaseHandle): Promise<string[]> {
  const { rows } = await sql<{ table_name: string }>`
    select table_name from information_schema.tables where table_schema = 'public' and table_name not like 'kysely_%' order by table_name`.execute(handle.db);
  return rows.map((row) => row.table_name);
}

describe('migrations', () => {
  it('run up and down on an empty database, one step at a time', async () => {
    const database = await createTestDatabase();
    const handle = openDatabase({ url: database.url, poolSize: 2 });
    try {
      expect(await tableNames(handle)).toEqual([]);
      for (const name of MIGRATION_NAMES) {
        const result = await runMigrations(handle.db, 'up');
        expect(result.results?.map((item) => [item.migrationName, item.status])).toEqual([[name, 'Success']]);
      }
      expect(await tableNames(handle)).toEqual(expect.arrayContaining(['users', 'user_suspensions', 'roles', 'permissions', 'role_permissions', 'user_roles', 'resource_grants', 'outbox']));

      for (const name of [...MIGRATION_NAMES].reverse()) {
        const result = await runMigrations(handle.db, 'down');
        expect(result.results?.map((item) => [item.migrationName, item.direction, item.status])).toEqual([[name, 'Down', 'Success']]);
      }
      expect(await tableNames(handle)).toEqual([]);

      const again = await runMigrations(handle.db, 'latest');
      expect(again.results?.map((item) => item.migrationName)).toEqual(MIGRATION_NAMES);
    } finally {
      await handle.close();
      await database.drop();
    }
  });

  it('seed the platform permissions and built-in roles', async () => {
    const database = await createTestDatabase();
    const handle = openDatabase({ url: database.url, poolSize: 2 });
    try {
      await runMigrations(handle.db, 'latest');
      const permissions = await handle.db.selectFrom('permissions').select('name').orderBy('name').execute();
      expect(permissions.map((row) => row.name)).toEqual(expect.arrayContaining(ALL_PERMISSIONS));
      const roles = await handle.db.selectFrom('roles').select(['name', 'grantable', 'built_in']).orderBy('name').execute();
      expect(roles).toEqual([
        { name: 'administrator', grantable: true, built_in: true },
        { name: 'auditor', grantable: true, built_in: true },
        { name: 'security-operator', grantable: true, built_in: true },
        { name: 'system-administrator', grantable: false, built_in: true },
        { name: 'user-provisioner', grantable: true, built_in: true },
      ]);
    } finally {
      await handle.close();
      await database.drop();
    }
  });

  it('run from the command line', async () => {
    const database = await createTestDatabase();
    try {
      const run = (command: string) => spawnSync(process.execPath, ['src/database/migrate-cli.ts', command], {
        cwd: APP_ROOT, env: { ...process.env, DATABASE_URL: database.url, LOG_LEVEL: 'warn' }, encoding: 'utf8',
      });
      expect(run('latest').status).toBe(0);
      expect(run('down').status).toBe(0);
      expect(run('sideways').status).toBe(2);
      const handle = openDatabase({ url: database.url, poolSize: 1 });
      const applied = await handle.db.selectFrom('kysely_migration' as never).select(sql<string>`name`.as('name')).execute();
      await handle.close();
      expect(applied.length).toBe(MIGRATION_NAMES.length - 1);
    } finally {
      await database.drop();
    }
  });
});

describe('service start', () => {
  it('exits with one line naming a malformed variable', () => {
    const result = spawnSync(process.execPath, ['src/main.ts'], {
      cwd: APP_ROOT,
      env: { PATH: process.env['PATH'] ?? '', DATABASE_URL: 'not-a-url', REDIS_URL: 'redis://127.0.0.1:1', TRUSTED_ISSUERS: '[]' },
      encoding: 'utf8',
    });
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('DATABASE_URL');
  });
});

describe('three replicas starting together', () => {
  let infrastructure: TestInfrastructure;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    infrastructure = await startInfrastructure();
  });

  afterAll(async () => {
    await Promise.all(children.map((child) => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    })));
    await infrastructure?.close();
  });

  it('apply each migration once, all become ready, and decide time independently of TZ', async () => {
    const database = await createTestDatabase();
    const ports = await Promise.all([freePort(), freePort(), freePort()]);
    const output: string[] = [];
    for (const port of ports) {
      const child = spawn(process.execPath, ['src/main.ts'], {
        cwd: APP_ROOT,
        // A zone with a 45-minute offset: any local-time arithmetic would show up in the results.
        env: { ...process.env, ...infrastructure.environment({ DATABASE_URL: database.url, PORT: String(port), MIGRATE_ON_START: 'true', LOG_LEVEL: 'warn' }), TZ: 'Asia/Kathmandu' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
      child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
      children.push(child);
    }

    try {
      for (const port of ports) {
        await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200, `replica on port ${port} to be ready`, 60_000, 200);
      }
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${output.join('')}`);
    }
    expect(children.every((child) => child.exitCode === null)).toBe(true);

    const handle = openDatabase({ url: database.url, poolSize: 1 });
    try {
      const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(handle.db);
      expect(applied.rows.map((row) => row.name)).toEqual(MIGRATION_NAMES);
      const roles = await handle.db.selectFrom('roles').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
      expect(Number(roles.n)).toBe(5);

      // Time decisions under a non-UTC TZ: an expiry given with an offset is stored as the same
      // instant, and a two-second suspension reads suspended, then active after its end.
      const admin = await infrastructure.clientToken('platform-admin-cli', ALL_PERMISSIONS);
      const call = (port: number, method: string, path: string, body?: unknown) => fetch(`http://127.0.0.1:${port}${path}`, {
        method,
        headers: { authorization: `Bearer ${admin}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      const user = await (await call(ports[0]!, 'POST', '/v1/users/find-or-create', { subject: 'tz-user' })).json() as { id: string };
      const offset = await (await call(ports[1]!, 'POST', `/v1/users/${user.id}/suspension`, { reason: 'tz', expiresAt: '2099-06-01T09:15:00+05:45' })).json() as { suspension: { expiresAt: string } };
      expect(offset.suspension.expiresAt).toBe('2099-06-01T03:30:00.000Z');
      const stored = await handle.db.selectFrom('users').select('suspension_expires_at').where('id', '=', user.id).executeTakeFirstOrThrow();
      expect(stored.suspension_expires_at!.toISOString()).toBe('2099-06-01T03:30:00.000Z');

      const short = await (await call(ports[2]!, 'POST', `/v1/users/${user.id}/suspension`, { reason: 'tz short', durationSeconds: 2 })).json() as { suspension: { suspendedAt: string; expiresAt: string } };
      expect(Date.parse(short.suspension.expiresAt) - Date.parse(short.suspension.suspendedAt)).toBe(2_000);
      expect((await (await call(ports[0]!, 'GET', `/v1/users/${user.id}`)).json() as { status: string }).status).toBe('suspended');
      await waitFor(async () => ((await (await call(ports[1]!, 'GET', `/v1/users/${user.id}`)).json()) as { status: string }).status === 'active', 'the suspension to end');
      await waitFor(async () => (await handle.db.selectFrom('user_suspensions').select('end_reason').where('user_id', '=', user.id).where('end_reason', '=', 'expired').executeTakeFirst()) !== undefined, 'the expiry job of a replica');
    } finally {
      await handle.close();
    }
  });
});
