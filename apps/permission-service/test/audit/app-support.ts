import { pino } from 'pino';
import { createSigningKey, signTestToken, startJwksServer, startRedisServer, type JwksServer, type RedisServer, type TestSigningKey } from '@platform/testing';
import type { Service } from '@platform/service-kit';
import { buildApp } from '../../src/app.ts';
import { readConfig } from '../../src/config.ts';
import { createContext, type ServiceContext } from '../../src/context.ts';
import { createMigratedDatabase, type MigratedDatabase } from './support.ts';

const ISSUER = 'http://127.0.0.1/test-issuer';
const AUDIENCE = 'urn:platform:api';

export interface TestApp {
  readonly app: Service;
  readonly context: ServiceContext;
  readonly database: MigratedDatabase;
  readonly redis: RedisServer;
  /** Signs a user token carrying the given permissions. */
  userToken(subject: string, permissions: string[]): Promise<string>;
  /** Signs a client-credentials token for an M2M client carrying the given permissions. */
  clientToken(clientId: string, permissions: string[]): Promise<string>;
  close(): Promise<void>;
}

/** Builds the service app over a fresh database, a private Redis and a test token issuer. */
export async function startTestApp(environment: Record<string, string> = {}): Promise<TestApp> {
  const [database, redis, key] = await Promise.all([createMigratedDatabase(), startRedisServer(), createSigningKey('RS256')]);
  const jwks: JwksServer = await startJwksServer([key.publicJwk]);
  const config = readConfig({
    DATABASE_URL: database.url,
    REDIS_URL: redis.url,
    TRUSTED_ISSUERS: JSON.stringify([{ issuer: ISSUER, jwksUri: jwks.url, audience: AUDIENCE, algorithms: ['RS256'] }]),
    PERMISSION_CACHE_TTL_MS: '0',
    ...environment,
  });
  const context = createContext(config, pino({ level: 'silent' }));
  const app = await buildApp(context);
  await app.ready();

  const sign = (signingKey: TestSigningKey, subject: string, claims: Record<string, unknown>) =>
    signTestToken(signingKey, { issuer: ISSUER, audience: AUDIENCE, subject, claims });
  return {
    app,
    context,
    database,
    redis,
    userToken: (subject, permissions) => sign(key, subject, { permissions }),
    clientToken: (clientId, permissions) => sign(key, clientId, { client_id: clientId, permissions }),
    close: async () => {
      await app.close();
      await context.close();
      await database.close();
      await jwks.close();
      await redis.stop();
    },
  };
}
