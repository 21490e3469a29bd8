import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { blacklistEntryKey } from '@platform/redis-keys';
import { createSigningKey, freePort, signTestToken, startJwksServer, startRedisServer, waitFor, type JwksServer, type RedisServer, type TestSigningKey } from '@platform/testing';

// The baseline variants of the validate benchmark must behave as described, or its ratios mean nothing.

const SERVERS = join(import.meta.dirname, '..', 'src', 'servers');
const ISSUER = 'http://127.0.0.1:9400';
const AUDIENCE = 'urn:platform:api';

let redis: RedisServer;
let jwks: JwksServer;
let key: TestSigningKey;
const children: ChildProcess[] = [];

beforeAll(async () => {
  redis = await startRedisServer();
  key = await createSigningKey('RS256', 'bench-test-key');
  jwks = await startJwksServer([key.publicJwk]);
});

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await jwks?.close();
  await redis?.stop();
});

async function startServer(script: string, env: Record<string, string>): Promise<string> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(SERVERS, script)], { env: { PATH: process.env['PATH'], ...env, PORT: String(port) }, stdio: 'ignore' });
  children.push(child);
  const url = `http://127.0.0.1:${port}/auth/validate`;
  await waitFor(async () => (await fetch(url)).status > 0, `${script} to listen`);
  return url;
}

describe('validate benchmark servers', () => {
  it('bare server returns 200', async () => {
    const url = await startServer('bare-fastify.ts', {});
    expect((await fetch(url)).status).toBe(200);
  });

  it('naive validator checks signature and blacklist', async () => {
    const url = await startServer('naive-validator.ts', { REDIS_URL: redis.url, ISSUER, AUDIENCE, JWKS_URI: jwks.url });
    const valid = await signTestToken(key, { issuer: ISSUER, audience: AUDIENCE, subject: 'alice', jti: 'bench-valid' });
    const revoked = await signTestToken(key, { issuer: ISSUER, audience: AUDIENCE, subject: 'alice', jti: 'bench-revoked' });
    const client = new Redis(redis.url);
    try {
      await client.set(blacklistEntryKey('jti', 'bench-revoked'), '{}');
    } finally {
      client.disconnect();
    }
    expect((await fetch(url, { headers: { authorization: `Bearer ${valid}` } })).status).toBe(200);
    expect((await fetch(url, { headers: { authorization: `Bearer ${revoked}` } })).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: `Bearer ${valid}x` } })).status).toBe(401);
  });
});
