import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { QUEUE_NAMES, QUEUE_PREFIX, type AuditPublisher, type TokenRevocationJob } from '@platform/queues';
import { createLogger } from '@platform/service-kit';
import { waitFor } from '@platform/testing';
import { randomBytes } from 'node:crypto';
import { RevocationIncompleteError, RevocationService } from '../src/revocation/revocation-service.ts';
import { SessionStore } from '../src/sessions/session-store.ts';
import { TokenCipher } from '../src/sessions/token-cipher.ts';
import { Browser } from './support/browser.ts';
import { startEnvironment, type RunningGateway, type TestEnvironment } from './support/environment.ts';
import { queuedAuditEvents, waitingTokenRevocations } from './support/queued.ts';
import { ADMIN_CLIENT } from './support/test-provider.ts';

let env: TestEnvironment;
let gateway: RunningGateway;
let adminToken: string;

beforeAll(async () => {
  env = await startEnvironment();
  gateway = await env.startGateway();
  adminToken = await env.provider.clientToken(ADMIN_CLIENT.id, ADMIN_CLIENT.secret);
});

afterAll(async () => {
  await env?.close();
});

function revokeAlice(): Promise<Response> {
  return fetch(`${gateway.url}/api/sessions/user/alice`, { method: 'DELETE', headers: { authorization: `Bearer ${adminToken}` } });
}

describe('revocation while the queue Redis is down', () => {
  it('answers 503, ends no session, and converges on retry', async () => {
    const browsers = [new Browser(), new Browser()];
    for (const browser of browsers) await browser.login(gateway.url, 'alice', 'alice-password');

    await env.queueRedis.stop();
    const refused = await revokeAlice();
    expect(refused.status).toBe(503);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    const problem = (await refused.json()) as { code: string; stage: string; detail: string };
    expect(problem.code).toBe('revocation_incomplete');
    expect(problem.stage).toBe('token_revocation');
    expect(problem.detail).toContain('not complete');
    // Nothing was deleted, so sessions and queued events cannot have drifted apart.
    for (const browser of browsers) expect((await browser.request(`${gateway.url}/auth/me`)).status).toBe(200);

    await env.queueRedis.start();
    let retried: Response | undefined;
    await waitFor(async () => {
      retried = await revokeAlice();
      return retried.status === 200;
    }, 'revocation to succeed after the queue Redis returned', 15_000, 250);
    expect(await retried!.json()).toEqual({ userId: 'alice', revokedSessions: 2 });
    for (const browser of browsers) expect((await browser.request(`${gateway.url}/auth/me`)).status).toBe(401);
    expect((await waitingTokenRevocations(env)).filter((job) => job.data.id === 'alice')).toHaveLength(1);
    const revoked = (await queuedAuditEvents(env)).filter((event) => event.kind === 'sessions.revoked');
    expect(revoked.map((event) => (event.context as { revokedSessions: number }).revokedSessions)).toEqual([2]);
  });
});

describe('revocation whose audit event cannot be queued', () => {
  it('reports ended sessions and audits on retry', async () => {
    const redis = new Redis(env.redis.url);
    const queueRedis = new Redis(env.queueRedis.url, { maxRetriesPerRequest: 1 });
    const tokenRevocations = new Queue<TokenRevocationJob>(QUEUE_NAMES.tokenRevocations, { connection: queueRedis, prefix: QUEUE_PREFIX });
    const sessions = new SessionStore(redis, new TokenCipher([{ id: 'k1', key: randomBytes(32) }]), createLogger('test', 'silent'), { idleTimeoutMs: 60_000, absoluteLifetimeMs: 120_000 });
    let auditAvailable = false;
    const published: unknown[] = [];
    const audit = {
      publishNow: async (events: unknown[]) => {
        if (!auditAvailable) throw new Error('audit queue unavailable');
        published.push(...events);
      },
    } as unknown as AuditPublisher;
    const service = new RevocationService({ sessions, tokenRevocations, audit, queueTimeoutMs: 1_000 });
    try {
      for (let i = 0; i < 3; i += 1) await sessions.create({ userId: 'frank', clientIp: '192.0.2.1', userAgent: 'x', tokens: { accessToken: 'a', accessTokenExpiresAt: Date.now() + 60_000 } });

      const failure = await service.revokeUser('frank', { actor: { type: 'user', id: 'officer' } }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(RevocationIncompleteError);
      expect((failure as RevocationIncompleteError).stage).toBe('audit');
      expect((failure as RevocationIncompleteError).revokedSessions).toBe(3);

      auditAvailable = true;
      expect(await service.revokeUser('frank', { actor: { type: 'user', id: 'officer' } })).toBe(0);
      expect(published).toHaveLength(1);
      const jobs = (await tokenRevocations.getJobs(['waiting'])).filter((job) => job.data.id === 'frank');
      expect(jobs).toHaveLength(2);
    } finally {
      await tokenRevocations.close();
      queueRedis.disconnect();
      redis.disconnect();
    }
  });
});

describe('session store outage', () => {
  it('answers 503 rather than logging the user out', async () => {
    const browser = new Browser();
    await browser.login(gateway.url, 'bob', 'bob-password');
    await env.redis.stop();
    try {
      const response = await browser.request(`${gateway.url}/auth/me`);
      expect(response.status).toBe(503);
      expect(((await response.json()) as { code: string }).code).toBe('session_store_unavailable');
      expect(response.headers.getSetCookie()).toEqual([]);
    } finally {
      await env.redis.start();
    }
  });
});

describe('login while the session Redis is down', () => {
  it('answers 503 and sends nothing to the provider', async () => {
    await env.redis.stop();
    try {
      const response = await fetch(`${gateway.url}/auth/login`, { redirect: 'manual' });
      expect(response.status).toBe(503);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      expect(((await response.json()) as { code: string }).code).toBe('session_store_unavailable');
      expect(response.headers.get('location')).toBeNull();
    } finally {
      await env.redis.start();
    }
  });
});
