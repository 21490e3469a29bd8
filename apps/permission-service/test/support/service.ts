import { pino } from 'pino';
import type { LightMyRequestResponse } from 'fastify';
import { createSigningKey, createTestDatabase, signTestToken, startJwksServer, startRedisServer, type JwksServer, type RedisServer, type TestDatabase, type TestSigningKey } from '@platform/testing';
import type { Service } from '@platform/service-kit';
import { buildApp } from '../../src/app.ts';
import { startBackgroundTasks, type BackgroundTask } from '../../src/background.ts';
import { readConfig } from '../../src/config.ts';
import { createContext, type ServiceContext } from '../../src/context.ts';
import { openDatabase } from '../../src/database/database.ts';
import { runMigrations } from '../../src/database/migrator.ts';

export const TEST_ISSUER = 'http://127.0.0.1/permission-service-test-issuer';
export const TEST_AUDIENCE = 'urn:platform:api';

/** The shared infrastructure of one test file: a migrated database, a private Redis, a token issuer. */
export interface TestInfrastructure {
  readonly database: TestDatabase;
  readonly redis: RedisServer;
  readonly jwks: JwksServer;
  readonly key: TestSigningKey;
  environment(overrides?: Record<string, string>): Record<string, string>;
  /** Signs an access token for a user subject with the given `permissions` claim. */
  userToken(subject: string, permissions?: string[]): Promise<string>;
  /** Signs a client-credentials token (sub = client_id). */
  clientToken(clientId: string, permissions?: string[]): Promise<string>;
  close(): Promise<void>;
}

export async function startInfrastructure(): Promise<TestInfrastructure> {
  const [database, redis, key] = await Promise.all([createTestDatabase(), startRedisServer(), createSigningKey('RS256')]);
  const migrate = openDatabase({ url: database.url, poolSize: 1 });
  try {
    await runMigrations(migrate.db, 'latest');
  } finally {
    await migrate.close();
  }
  const jwks = await startJwksServer([key.publicJwk]);
  const sign = (subject: string, claims: Record<string, unknown>) => signTestToken(key, { issuer: TEST_ISSUER, audience: TEST_AUDIENCE, subject, claims });
  return {
    database,
    redis,
    jwks,
    key,
    environment: (overrides = {}) => ({
      DATABASE_URL: database.url,
      REDIS_URL: redis.url,
      TRUSTED_ISSUERS: JSON.stringify([{ issuer: TEST_ISSUER, jwksUri: jwks.url, audience: TEST_AUDIENCE, algorithms: ['RS256'] }]),
      LOG_LEVEL: 'silent',
      OUTBOX_RELAY_INTERVAL_MS: '100',
      OUTBOX_RELAY_LEASE_MS: '2000',
      ...overrides,
    }),
    userToken: (subject, permissions = []) => sign(subject, { permissions }),
    clientToken: (clientId, permissions = []) => sign(clientId, { client_id: clientId, permissions }),
    close: async () => {
      await jwks.close();
      await redis.stop();
      await database.drop();
    },
  };
}

/** One running instance of the service (a replica) built in this process. */
export interface TestService {
  readonly app: Service;
  readonly context: ServiceContext;
  call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, options?: { token?: string; body?: unknown }): Promise<LightMyRequestResponse>;
  /** Starts the relay, the expiry worker, the reconciler and the cache subscriber (or the given tasks). */
  startBackground(tasks?: readonly BackgroundTask[]): Promise<void>;
  close(): Promise<void>;
}

export async function startService(infrastructure: TestInfrastructure, overrides: Record<string, string> = {}): Promise<TestService> {
  const config = readConfig(infrastructure.environment(overrides));
  const context = createContext(config, pino({ level: process.env['TEST_LOG_LEVEL'] ?? 'silent' }));
  const app = await buildApp(context);
  await app.ready();
  let stopBackground: (() => Promise<void>) | undefined;
  return {
    app,
    context,
    call: (method, url, options = {}) => app.inject({
      method,
      url,
      headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
      ...(options.body !== undefined ? { payload: options.body as object } : {}),
    }),
    startBackground: async (tasks) => {
      stopBackground = await startBackgroundTasks(context, tasks);
    },
    close: async () => {
      await stopBackground?.();
      await app.close();
      await context.close();
    },
  };
}

/** Every platform permission, as the local administrator's token carries them. */
export const ALL_PERMISSIONS = [
  'sessions:revoke', 'tokens:revoke', 'users:suspend', 'users:read', 'users:provision', 'users:delete', 'roles:manage', 'audit:read', 'clients:manage',
];

/** Creates a user through find-or-create and returns its id. */
export async function createUser(service: TestService, adminToken: string, subject: string, extra: Record<string, string> = {}): Promise<string> {
  const response = await service.call('POST', '/v1/users/find-or-create', { token: adminToken, body: { subject, ...extra } });
  if (response.statusCode !== 200) throw new Error(`find-or-create failed with ${response.statusCode}: ${response.body}`);
  return response.json<{ id: string }>().id;
}
