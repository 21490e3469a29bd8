import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { sessionKey, userSessionIndexKey } from '@platform/redis-keys';
import { freePort } from '@platform/testing';
import { Browser } from './support/browser.ts';
import { startEnvironment, type RunningGateway, type TestEnvironment } from './support/environment.ts';
import { jwtPayload } from './support/queued.ts';
import { locateFromCookie } from '../src/sessions/session-id.ts';

const IDLE_SECONDS = 900;
const ABSOLUTE_SECONDS = 3600;

let env: TestEnvironment;
let gateway: RunningGateway;
let unreachableApi: RunningGateway;
let redis: Redis;
let clockOffsetMs = 0;

beforeAll(async () => {
  env = await startEnvironment({ gateways: 2 });
  // A port just found free has no listener, so connections to it are refused.
  unreachableApi = await env.startGateway({ portIndex: 1, env: { API_UPSTREAM_URL: `http://127.0.0.1:${await freePort()}` } });
  gateway = await env.startGateway({
    env: { SESSION_IDLE_TIMEOUT_SECONDS: String(IDLE_SECONDS), SESSION_ABSOLUTE_LIFETIME_SECONDS: String(ABSOLUTE_SECONDS) },
    // The provider's tokens live 600 s and the refresh margin is 300 s, so moving this clock by
    // minutes reaches session expiry without ever asking for a refresh.
    now: () => Date.now() + clockOffsetMs,
  });
  redis = new Redis(env.redis.url);
});

afterAll(async () => {
  redis?.disconnect();
  await env?.close();
});

beforeEach(() => {
  clockOffsetMs = 0;
});

async function loggedIn(user = 'alice'): Promise<Browser> {
  const browser = new Browser();
  const response = await browser.login(gateway.url, user, `${user}-password`);
  expect(response.status).toBe(303);
  return browser;
}

function lastUpstreamRequest() {
  return env.upstream.requests.at(-1)!;
}

describe('GET /api/*', () => {
  it('forwards with the session access token as Bearer', async () => {
    const browser = await loggedIn();
    const response = await browser.request(`${gateway.url}/api/transactions?limit=5&from=2026-01-01`);
    expect(response.status).toBe(200);
    const upstream = lastUpstreamRequest();
    expect(upstream.url).toBe('/api/transactions?limit=5&from=2026-01-01');
    const authorization = String(upstream.headers.authorization);
    expect(authorization).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    const claims = jwtPayload(authorization.slice('Bearer '.length));
    expect(claims['sub']).toBe('alice');
    expect(claims['aud']).toBe('urn:platform:api');
    expect(env.provider.tokenRequests('refresh_token')).toBe(0);
  });

  it('never forwards the browser cookies or forged identity headers', async () => {
    const browser = await loggedIn();
    await browser.request(`${gateway.url}/api/transactions`, {
      headers: { 'x-user-id': 'admin', 'x-principal-type': 'm2m', 'x-scopes': 'sessions:revoke', authorization: 'Bearer forged' },
    });
    const upstream = lastUpstreamRequest();
    expect(upstream.headers.cookie).toBeUndefined();
    expect(upstream.headers['x-user-id']).toBeUndefined();
    expect(upstream.headers['x-principal-type']).toBeUndefined();
    expect(upstream.headers['x-scopes']).toBeUndefined();
    expect(upstream.headers.authorization).not.toBe('Bearer forged');
  });

  it('forwards the request id and hides upstream cookies', async () => {
    const browser = await loggedIn();
    const response = await browser.request(`${gateway.url}/api/transactions`, { headers: { 'x-request-id': 'req-proxy-1' } });
    expect(lastUpstreamRequest().headers['x-request-id']).toBe('req-proxy-1');
    expect(response.headers.get('x-upstream')).toBe('yes');
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  it('answers 401 JSON with the login URL without a session', async () => {
    const before = env.upstream.requests.length;
    const response = await fetch(`${gateway.url}/api/transactions`);
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    const body = (await response.json()) as { code: string; loginUrl: string };
    expect(body.code).toBe('login_required');
    expect(body.loginUrl).toBe(`${gateway.url}/auth/login`);
    expect(env.upstream.requests.length).toBe(before);
  });

  it('ends the session when the API rejects its token', async () => {
    const browser = await loggedIn();
    const refused = await browser.request(`${gateway.url}/api/rejects-token`);
    expect(refused.status).toBe(401);
    const problem = (await refused.json()) as { code: string; loginUrl: string };
    expect(problem.code).toBe('session_ended');
    expect(problem.loginUrl).toContain('/auth/login');
    expect((await browser.request(`${gateway.url}/auth/me`)).status).toBe(401);
  });

  it('answers 401 and clears an unknown session cookie', async () => {
    const response = await fetch(`${gateway.url}/api/transactions`, { headers: { cookie: 'session=K9gGyX8OAK8aH8Myj6djqS.unknownunknownunknownunknownunknownunknown1' } });
    expect(response.status).toBe(401);
    expect(response.headers.getSetCookie().some((header) => header.startsWith('session=;'))).toBe(true);
  });
});

describe('API upstream failure', () => {
  it('answers 502 problem+json when the API cannot be reached', async () => {
    const browser = new Browser();
    await browser.login(unreachableApi.url, 'alice', 'alice-password');
    const response = await browser.request(`${unreachableApi.url}/api/transactions`);
    expect(response.status).toBe(502);
    expect(((await response.json()) as { code: string }).code).toBe('upstream_unavailable');
  });
});

describe('CSRF', () => {
  async function post(browser: Browser, headers: Record<string, string>) {
    const before = env.upstream.requests.length;
    const response = await browser.request(`${gateway.url}/api/transfers`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{"amount":10}' });
    return { response, forwarded: env.upstream.requests.length > before };
  }

  it('rejects a POST without Origin, Referer or token', async () => {
    const { response, forwarded } = await post(await loggedIn(), {});
    expect(response.status).toBe(403);
    expect(((await response.json()) as { code: string }).code).toBe('csrf_rejected');
    expect(forwarded).toBe(false);
  });

  it('rejects a POST from another origin', async () => {
    const { response, forwarded } = await post(await loggedIn(), { origin: 'https://evil.example' });
    expect(response.status).toBe(403);
    expect(forwarded).toBe(false);
  });

  it('rejects a POST with a foreign Referer', async () => {
    const { response, forwarded } = await post(await loggedIn(), { referer: 'https://evil.example/page' });
    expect(response.status).toBe(403);
    expect(forwarded).toBe(false);
  });

  it('rejects a POST from another origin even with the token', async () => {
    const browser = await loggedIn();
    const { csrfToken } = (await (await browser.request(`${gateway.url}/auth/me`)).json()) as { csrfToken: string };
    const { response } = await post(browser, { origin: 'https://evil.example', 'x-csrf-token': csrfToken });
    expect(response.status).toBe(403);
  });

  it('rejects a wrong token', async () => {
    const { response } = await post(await loggedIn(), { 'x-csrf-token': 'wrong' });
    expect(response.status).toBe(403);
  });

  it.each(['DELETE', 'PUT', 'PATCH'])('rejects a cross-site %s', async (method) => {
    const browser = await loggedIn();
    const response = await browser.request(`${gateway.url}/api/transfers/1`, { method, headers: { origin: 'https://evil.example' } });
    expect(response.status).toBe(403);
  });

  it('forwards a same-origin POST with its body', async () => {
    const { response, forwarded } = await post(await loggedIn(), { origin: gateway.url });
    expect(response.status).toBe(200);
    expect(forwarded).toBe(true);
    expect(lastUpstreamRequest().body).toBe('{"amount":10}');
    expect(lastUpstreamRequest().headers['content-type']).toBe('application/json');
  });

  it('forwards a POST with a same-origin Referer', async () => {
    const { response } = await post(await loggedIn(), { referer: `${gateway.url}/transfers/new` });
    expect(response.status).toBe(200);
  });

  it('forwards a POST with the session CSRF token', async () => {
    const browser = await loggedIn();
    const { csrfToken } = (await (await browser.request(`${gateway.url}/auth/me`)).json()) as { csrfToken: string };
    const { response } = await post(browser, { 'x-csrf-token': csrfToken });
    expect(response.status).toBe(200);
    expect(lastUpstreamRequest().headers['x-csrf-token']).toBeUndefined();
  });
});

describe('expiry', () => {
  function locator(browser: Browser) {
    return locateFromCookie(browser.cookie(gateway.url, 'session')!.value)!;
  }

  it('ends a session idle for the idle timeout', async () => {
    const browser = await loggedIn();
    const session = locator(browser);
    clockOffsetMs = IDLE_SECONDS * 1000;
    const response = await browser.request(`${gateway.url}/api/transactions`);
    expect(response.status).toBe(401);
    expect(await redis.exists(sessionKey(session.userTag, session.sessionId))).toBe(0);
    expect(await redis.zscore(userSessionIndexKey(session.userTag), session.sessionId)).toBeNull();
  });

  it('keeps a session that is used within the idle timeout', async () => {
    const browser = await loggedIn();
    clockOffsetMs = (IDLE_SECONDS - 60) * 1000;
    expect((await browser.request(`${gateway.url}/auth/me`)).status).toBe(200);
    clockOffsetMs += (IDLE_SECONDS - 60) * 1000;
    expect((await browser.request(`${gateway.url}/auth/me`)).status).toBe(200);
  });

  it('ends a session at its absolute lifetime despite activity', async () => {
    const browser = await loggedIn();
    while (clockOffsetMs + (IDLE_SECONDS / 2) * 1000 < ABSOLUTE_SECONDS * 1000) {
      clockOffsetMs += (IDLE_SECONDS / 2) * 1000;
      expect((await browser.request(`${gateway.url}/auth/me`)).status).toBe(200);
    }
    clockOffsetMs = ABSOLUTE_SECONDS * 1000;
    expect((await browser.request(`${gateway.url}/auth/me`)).status).toBe(401);
  });

  it('lets Redis expire an idle record on its own', async () => {
    const browser = await loggedIn();
    const session = locator(browser);
    const ttl = await redis.pttl(sessionKey(session.userTag, session.sessionId));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(IDLE_SECONDS * 1000);
  });
});
