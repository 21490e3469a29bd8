import { startPostgresServer, type PostgresServer } from '../src/index.ts';

// One private PostgreSQL server for the whole test run, shared by every test file through
// TEST_DATABASE_ADMIN_URL. Each file still creates and drops its own databases. Starting the server
// here, in vitest's main process, lets teardown remove it: a server started inside a test worker
// outlives the worker when vitest ends it.

let server: PostgresServer | undefined;

export async function setup(): Promise<void> {
  if (process.env['TEST_DATABASE_ADMIN_URL']) return;
  server = await startPostgresServer();
  process.env['TEST_DATABASE_ADMIN_URL'] = server.adminUrl;
}

export async function teardown(): Promise<void> {
  await server?.remove();
}
