import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createSigningKey, createTestDatabase, signTestToken, startJwksServer, startRedisServer } from '../src/index.ts';
import { decodeJwt, decodeProtectedHeader } from 'jose';

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe('startRedisServer', () => {
  it('serves, stops and starts again', async () => {
    const server = await startRedisServer();
    cleanups.push(server.stop);
    const redis = new Redis(server.url, { maxRetriesPerRequest: 1 });
    expect(await redis.set('k', 'v')).toBe('OK');
    await server.stop();
    await server.start();
    expect(await redis.get('k')).toBeNull();
    redis.disconnect();
  });
});

describe('createTestDatabase', () => {
  it('creates an empty database', async () => {
    const database = await createTestDatabase();
    cleanups.push(database.drop);
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const result = await client.query<{ name: string }>('select current_database() as name');
    expect(result.rows[0]?.name).toBe(database.name);
    await client.end();
  });
});

describe('token factories', () => {
  it('sign a token that names its key', async () => {
    const key = await createSigningKey('ES256', 'key-1');
    const token = await signTestToken(key, { issuer: 'https://issuer.test', audience: 'api', subject: 'user-1' });
    expect(decodeProtectedHeader(token).kid).toBe('key-1');
    expect(decodeJwt(token).sub).toBe('user-1');
  });

  it('serve a JWKS document', async () => {
    const key = await createSigningKey();
    const jwks = await startJwksServer([key.publicJwk]);
    cleanups.push(jwks.close);
    const body = (await (await fetch(jwks.url)).json()) as { keys: Array<{ kid: string }> };
    expect(body.keys[0]?.kid).toBe(key.kid);
    expect(jwks.requests()).toBe(1);
  });
});
