import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Browser } from './support/browser.ts';
import { startEnvironment, type RunningGateway, type TestEnvironment } from './support/environment.ts';
import { jwtPayload } from './support/queued.ts';
import { locateFromCookie } from '../src/sessions/session-id.ts';

// The provider issues access tokens for 60 s and the gateway refreshes within 300 s of expiry, so
// every proxied request needs a refresh.
let env: TestEnvironment;
let replicaA: RunningGateway;
let replicaB: RunningGateway;

beforeAll(async () => {
  env = await startEnvironment({ gateways: 2, accessTokenTtlSeconds: 60 });
  replicaA = await env.startGateway({ portIndex: 0 });
  // The second replica serves the same public origin, as two pods behind one Service would.
  replicaB = await env.startGateway({ portIndex: 1, env: { PUBLIC_BASE_URL: `http://127.0.0.1:${env.ports[0]}` } });
});

afterAll(async () => {
  await env?.close();
});

beforeEach(() => {
  env.provider.setRefreshFailing(false);
  env.provider.setRefreshDelayMs(0);
});

async function loggedIn(): Promise<Browser> {
  const browser = new Browser();
  expect((await browser.login(replicaA.url, 'alice', 'alice-password')).status).toBe(303);
  return browser;
}

function bearerOf(index: number): string {
  return String(env.upstream.requests[index]!.headers.authorization).slice('Bearer '.length);
}

describe('proactive refresh', () => {
  it('refreshes a token that expires within the margin', async () => {
    const browser = await loggedIn();
    const before = env.provider.tokenRequests('refresh_token');
    const first = await browser.request(`${replicaA.url}/api/one`);
    expect(first.status).toBe(200);
    expect(env.provider.tokenRequests('refresh_token')).toBe(before + 1);
    const token = bearerOf(env.upstream.requests.length - 1);
    expect(jwtPayload(token)['sub']).toBe('alice');
  });

  it('makes one refresh for two concurrent requests on two replicas', async () => {
    const browser = await loggedIn();
    const cookie = browser.cookieHeader(replicaA.url);
    env.provider.setRefreshDelayMs(1000);
    const refreshesBefore = env.provider.tokenRequests('refresh_token');
    const forwardedBefore = env.upstream.requests.length;

    const [onA, onB] = await Promise.all([
      fetch(`${replicaA.url}/api/concurrent-a`, { headers: { cookie } }),
      fetch(`${replicaB.url}/api/concurrent-b`, { headers: { cookie } }),
    ]);

    expect(onA.status).toBe(200);
    expect(onB.status).toBe(200);
    expect(env.provider.tokenRequests('refresh_token')).toBe(refreshesBefore + 1);
    expect(env.upstream.requests.length).toBe(forwardedBefore + 2);
    expect(bearerOf(forwardedBefore)).toBe(bearerOf(forwardedBefore + 1));
  });

  it('makes one refresh for concurrent requests on one replica', async () => {
    const browser = await loggedIn();
    const cookie = browser.cookieHeader(replicaA.url);
    env.provider.setRefreshDelayMs(1000);
    const refreshesBefore = env.provider.tokenRequests('refresh_token');
    const responses = await Promise.all([1, 2, 3].map((n) => fetch(`${replicaA.url}/api/burst-${n}`, { headers: { cookie } })));
    expect(responses.map((response) => response.status)).toEqual([200, 200, 200]);
    expect(env.provider.tokenRequests('refresh_token')).toBe(refreshesBefore + 1);
  });

  it('keeps the new tokens in the session', async () => {
    const browser = await loggedIn();
    const locator = locateFromCookie(browser.cookie(replicaA.url, 'session')!.value)!;
    const before = await replicaA.gateway.context.sessions.read(locator);
    await browser.request(`${replicaA.url}/api/one`);
    const after = await replicaA.gateway.context.sessions.read(locator);
    expect(after!.tokenVersion).toBe(before!.tokenVersion + 1);
    expect(replicaA.gateway.context.sessions.openToken(after!, 'accessToken')).not.toBe(replicaA.gateway.context.sessions.openToken(before!, 'accessToken'));
  });
});

describe('refresh failure', () => {
  it('ends the session and answers 401 with the login URL', async () => {
    const browser = await loggedIn();
    const locator = locateFromCookie(browser.cookie(replicaA.url, 'session')!.value)!;
    const forwardedBefore = env.upstream.requests.length;
    env.provider.setRefreshFailing(true);

    const response = await browser.request(`${replicaA.url}/api/one`);
    expect(response.status).toBe(401);
    const body = (await response.json()) as { code: string; loginUrl: string };
    expect(body.code).toBe('session_ended');
    expect(body.loginUrl).toBe(`${replicaA.url}/auth/login`);
    expect(env.upstream.requests.length).toBe(forwardedBefore);
    expect(await replicaA.gateway.context.sessions.read(locator)).toBeUndefined();

    env.provider.setRefreshFailing(false);
    expect((await fetch(`${replicaA.url}/auth/me`, { headers: { cookie: `session=${browser.cookie(replicaA.url, 'session')?.value ?? ''}` } })).status).toBe(401);
  });

  it('ends the session for every waiting request', async () => {
    const browser = await loggedIn();
    const cookie = browser.cookieHeader(replicaA.url);
    env.provider.setRefreshFailing(true);
    env.provider.setRefreshDelayMs(1000);
    const responses = await Promise.all([
      fetch(`${replicaA.url}/api/a`, { headers: { cookie } }),
      fetch(`${replicaB.url}/api/b`, { headers: { cookie } }),
    ]);
    expect(responses.map((response) => response.status)).toEqual([401, 401]);
  });
});
