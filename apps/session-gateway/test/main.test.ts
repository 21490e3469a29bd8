import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startRedisServer, waitFor, type RedisServer } from '@platform/testing';

const MAIN = join(import.meta.dirname, '..', 'src', 'main.ts');

let redis: RedisServer;
const children: ChildProcess[] = [];

beforeAll(async () => {
  redis = await startRedisServer();
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await redis?.stop();
});

async function baseEnvironment(): Promise<Record<string, string>> {
  const issuerPort = await freePort();
  return {
    PATH: process.env['PATH'] ?? '',
    PORT: String(await freePort()),
    REDIS_URL: redis.url,
    LOG_LEVEL: 'warn',
    // Nothing listens here: discovery fails and is retried at the first login, which this test never starts.
    OIDC_ISSUER: `http://127.0.0.1:${issuerPort}`,
    OIDC_ALLOW_INSECURE_HTTP: 'true',
    OIDC_CLIENT_SECRET: 'secret',
    SESSION_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    TRUSTED_ISSUERS: JSON.stringify([{ issuer: `http://127.0.0.1:${issuerPort}`, jwksUri: `http://127.0.0.1:${issuerPort}/jwks`, audience: 'urn:platform:api', algorithms: ['RS256'] }]),
  };
}

function run(environment: Record<string, string>): { child: ChildProcess; stderr: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [MAIN], { env: environment, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdout!.resume();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stderr: () => stderr, exited };
}

describe('main', () => {
  it('exits with one line naming a malformed variable', async () => {
    const { stderr, exited } = run({ ...(await baseEnvironment()), REDIS_URL: 'not-a-url' });
    expect(await exited).not.toBe(0);
    const lines = stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('REDIS_URL');
    expect(lines[0]).toContain('redis://');
  });

  it('exits with one line naming a missing variable', async () => {
    const environment = await baseEnvironment();
    delete environment['SESSION_ENCRYPTION_KEYS'];
    const { stderr, exited } = run(environment);
    expect(await exited).not.toBe(0);
    expect(stderr().trim().split('\n')).toEqual([expect.stringContaining('SESSION_ENCRYPTION_KEYS')]);
  });

  it('starts without its provider and stops on SIGTERM', async () => {
    const environment = await baseEnvironment();
    const { child, exited } = run(environment);
    const url = `http://127.0.0.1:${environment['PORT']}`;
    await waitFor(async () => (await fetch(`${url}/healthz`)).status === 200, 'gateway to start', 20_000);
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { redis: { status: 'ok' }, queueRedis: { status: 'ok' } } });
    const docs = (await (await fetch(`${url}/docs/json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(docs.paths)).toEqual(expect.arrayContaining(['/auth/login', '/auth/callback', '/auth/me', '/auth/logout', '/api/sessions/user/{userId}', '/api/sessions/{sessionId}']));
    const login = await fetch(`${url}/auth/login`, { redirect: 'manual' });
    expect(login.status).toBe(503);
    expect(((await login.json()) as { code: string }).code).toBe('identity_provider_unavailable');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
