import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, waitFor, type RedisServer } from '@platform/testing';
import { queuedAuditEvents } from './support/audit-queue.ts';
import { startIssuers, startRedis, userToken, validate, type Issuers } from './support/harness.ts';

const MAIN = join(import.meta.dirname, '..', 'src', 'main.ts');

let redis: RedisServer;
let issuers: Issuers;

beforeAll(async () => {
  redis = await startRedis();
  issuers = await startIssuers();
});

afterAll(async () => {
  await issuers?.close();
  await redis?.stop();
});

function environment(overrides: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env['PATH'], REDIS_URL: redis.url, TRUSTED_ISSUERS: issuers.trustedIssuers, LOG_LEVEL: 'warn', ...overrides };
}

describe('main', () => {
  it('exits with one line naming a malformed variable', () => {
    const result = spawnSync(process.execPath, [MAIN], { env: environment({ REDIS_URL: 'not-a-url' }), encoding: 'utf8', timeout: 20_000 });
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual(['invalid configuration: REDIS_URL is malformed; expected a redis:// or rediss:// URL such as redis://127.0.0.1:6379']);
  });

  it('exits with one line for an invalid route rules file', () => {
    const result = spawnSync(process.execPath, [MAIN], { env: environment({ ROUTE_RULES_FILE: MAIN }), encoding: 'utf8', timeout: 20_000 });
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('ROUTE_RULES_FILE');
  });

  it('serves from the environment and flushes audit events on SIGTERM', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [MAIN], { env: environment({ PORT: String(port) }), stdio: ['ignore', 'ignore', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const url = `http://127.0.0.1:${port}`;
      await waitFor(async () => (await fetch(`${url}/readyz`)).status === 200, 'the service to become ready');
      const token = await userToken(issuers, 'shutdown-user');
      const responses = await Promise.all(Array.from({ length: 10 }, (_, i) => validate(url, token, { headers: { 'x-request-id': `shutdown-${i}` } })));
      expect(responses.map((response) => response.status)).toEqual(Array(10).fill(200));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
    const events = await queuedAuditEvents(redis.port);
    expect(events.filter((event) => String(event['requestId']).startsWith('shutdown-'))).toHaveLength(10);
  });
});
