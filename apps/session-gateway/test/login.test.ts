import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pendingLoginKey } from '@platform/redis-keys';
import { Redis } from 'ioredis';
import { Browser, parseSetCookie } from './support/browser.ts';
import { startEnvironment, type RunningGateway, type TestEnvironment } from './support/environment.ts';
import { waitForAuditEvent } from './support/queued.ts';
import { UNSAFE_RETURN_PATHS } from './support/return-paths.ts';

let env: TestEnvironment;
let gateway: RunningGateway;
let secureGateway: RunningGateway;
let redis: Redis;

beforeAll(async () => {
  env = await startEnvironment({ gateways: 2 });
  gateway = await env.startGateway();
  secureGateway = await env.startGateway({ portIndex: 1, env: { COOKIE_SECURE: 'true' } });
  redis = new Redis(env.redis.url);
});

afterAll(async () => {
  redis?.disconnect();
  await env?.close();
});

const COOKIE_VALUE = /^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/;

function sessionCookie(response: Response, name = 'session') {
  const header = response.headers.getSetCookie().find((value) => value.startsWith(`${name}=`));
  return header === undefined ? undefined : parseSetCookie(header);
}

describe('login', () => {
  it('creates a session and returns to the requested path', async () => {
    const browser = new Browser();
    const response = await browser.login(gateway.url, 'alice', 'alice-password', '/accounts?tab=1');
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/accounts?tab=1');
    expect(sessionCookie(response)?.value).toMatch(COOKIE_VALUE);
  });

  it('sends PKCE, state and nonce to the provider', async () => {
    const browser = new Browser();
    const start = await browser.request(`${gateway.url}/auth/login`);
    const authorize = new URL(start.headers.get('location')!);
    expect(authorize.origin).toBe(env.provider.issuer);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorize.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorize.searchParams.get('nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${gateway.url}/auth/callback`);
  });

  it('stores the pending login server-side with a short lifetime', async () => {
    const browser = new Browser();
    const start = await browser.request(`${gateway.url}/auth/login?returnTo=/x`);
    const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
    const stored = JSON.parse((await redis.get(pendingLoginKey(state)))!) as Record<string, unknown>;
    expect(Object.keys(stored).sort()).toEqual(['bindingHash', 'codeVerifier', 'createdAt', 'nonce', 'returnTo']);
    expect(stored['returnTo']).toBe('/x');
    const ttl = await redis.pttl(pendingLoginKey(state));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(600_000);
  });

  it('gives a fresh session id at every login', async () => {
    const first = sessionCookie(await new Browser().login(gateway.url, 'alice', 'alice-password'));
    const second = sessionCookie(await new Browser().login(gateway.url, 'alice', 'alice-password'));
    expect(first!.value).not.toBe(second!.value);
  });

  it('audits the login', async () => {
    const browser = new Browser('audit-check/1.0');
    await browser.login(gateway.url, 'bob', 'bob-password');
    const event = await waitForAuditEvent(env, (candidate) => candidate.kind === 'auth.login' && candidate.principal.id === 'bob' && candidate.userAgent === 'audit-check/1.0', 'auth.login event');
    expect(event.decision).toBe('success');
    expect(event.producer).toBe('session-gateway');
  });
});

describe('session fixation', () => {
  it('replaces a planted session id', async () => {
    const browser = new Browser();
    const planted = 'K9gGyX8OAK8aH8Myj6djqS.plantedplantedplantedplantedplantedplanted';
    browser.setCookie(gateway.url, 'session', planted);
    const response = await browser.login(gateway.url, 'alice', 'alice-password');
    expect(sessionCookie(response)!.value).not.toBe(planted);
    const withPlanted = await fetch(`${gateway.url}/auth/me`, { headers: { cookie: `session=${planted}` } });
    expect(withPlanted.status).toBe(401);
  });

  it('ends the previous session of the browser at a new login', async () => {
    const browser = new Browser();
    const before = sessionCookie(await browser.login(gateway.url, 'alice', 'alice-password'))!.value;
    expect((await browser.request(`${gateway.url}/auth/me`)).status).toBe(200);
    const after = sessionCookie(await browser.login(gateway.url, 'alice', 'alice-password'))!.value;
    expect(after).not.toBe(before);
    expect((await fetch(`${gateway.url}/auth/me`, { headers: { cookie: `session=${before}` } })).status).toBe(401);
    expect((await browser.request(`${gateway.url}/auth/me`)).status).toBe(200);
  });
});

describe('cookies', () => {
  it('are HttpOnly, SameSite=Lax and Path=/ on plain HTTP', async () => {
    const browser = new Browser();
    const start = await browser.request(`${gateway.url}/auth/login`);
    const binding = parseSetCookie(start.headers.getSetCookie()[0]!);
    const session = sessionCookie(await browser.request(await browser.authorize(start.headers.get('location')!, 'alice', 'alice-password')))!;
    for (const cookie of [binding, session]) {
      expect(cookie.attributes.has('httponly')).toBe(true);
      expect(cookie.attributes.get('samesite')).toBe('Lax');
      expect(cookie.attributes.get('path')).toBe('/');
      expect(cookie.attributes.has('domain')).toBe(false);
      expect(cookie.attributes.has('secure')).toBe(false);
    }
    expect(binding.name).toBe('login-binding');
    expect(session.name).toBe('session');
  });

  it('carry Secure and the __Host- prefix when secure', async () => {
    const browser = new Browser();
    const start = await browser.request(`${secureGateway.url}/auth/login`);
    const binding = parseSetCookie(start.headers.getSetCookie()[0]!);
    const callback = await browser.request(await browser.authorize(start.headers.get('location')!, 'alice', 'alice-password'));
    const session = sessionCookie(callback, '__Host-session')!;
    expect(binding.name).toBe('__Host-login-binding');
    for (const cookie of [binding, session]) {
      expect(cookie.attributes.has('secure')).toBe(true);
      expect(cookie.attributes.has('httponly')).toBe(true);
      expect(cookie.attributes.get('samesite')).toBe('Lax');
      expect(cookie.attributes.get('path')).toBe('/');
      expect(cookie.attributes.has('domain')).toBe(false);
    }
    expect(session.value).toMatch(COOKIE_VALUE);
  });
});

describe('callback state', () => {
  async function startedLogin(browser: Browser): Promise<string> {
    const start = await browser.request(`${gateway.url}/auth/login`);
    return browser.authorize(start.headers.get('location')!, 'alice', 'alice-password');
  }

  async function expectRefusedWithoutProviderCall(browser: Browser, url: string, code: string) {
    const exchangesBefore = env.provider.tokenRequests('authorization_code');
    const response = await browser.request(url, { headers: { accept: 'application/json' } });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(((await response.json()) as { code: string }).code).toBe(code);
    expect(response.headers.getSetCookie().some((header) => header.startsWith('session='))).toBe(false);
    expect(env.provider.tokenRequests('authorization_code')).toBe(exchangesBefore);
  }

  it('rejects a missing state', async () => {
    const browser = new Browser();
    const callback = new URL(await startedLogin(browser));
    callback.searchParams.delete('state');
    await expectRefusedWithoutProviderCall(browser, callback.href, 'login_state_missing');
  });

  it('rejects an empty state', async () => {
    const browser = new Browser();
    const callback = new URL(await startedLogin(browser));
    callback.searchParams.set('state', '');
    await expectRefusedWithoutProviderCall(browser, callback.href, 'login_state_missing');
  });

  it('rejects an unknown state', async () => {
    const browser = new Browser();
    const callback = new URL(await startedLogin(browser));
    callback.searchParams.set('state', 'A'.repeat(43));
    await expectRefusedWithoutProviderCall(browser, callback.href, 'login_state_invalid');
  });

  it('rejects a state started in another browser', async () => {
    const victim = new Browser();
    const attacker = new Browser();
    await attacker.request(`${gateway.url}/auth/login`);
    const callback = await startedLogin(victim);
    await expectRefusedWithoutProviderCall(attacker, callback, 'login_state_foreign');
  });

  it('rejects a state that was already used', async () => {
    const browser = new Browser();
    const callback = await startedLogin(browser);
    expect((await browser.request(callback)).status).toBe(303);
    await expectRefusedWithoutProviderCall(browser, callback, 'login_state_invalid');
  });

  it('answers a browser with an HTML page', async () => {
    const browser = new Browser();
    const response = await browser.request(`${gateway.url}/auth/callback?code=abc`, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(await response.text()).toContain('Login failed');
  });

  it('audits a refused callback', async () => {
    const browser = new Browser('refused-state/1.0');
    await browser.request(`${gateway.url}/auth/callback?state=&code=abc`);
    const event = await waitForAuditEvent(env, (candidate) => candidate.kind === 'auth.login_refused' && candidate.userAgent === 'refused-state/1.0', 'auth.login_refused event');
    expect(event.reason).toBe('login_state_missing');
    expect(event.decision).toBe('deny');
  });
});

describe('return path', () => {
  it.each(UNSAFE_RETURN_PATHS)('%j falls back to / after login', async (returnTo) => {
    const response = await new Browser().login(gateway.url, 'alice', 'alice-password', returnTo);
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/');
  });

  it('is checked again at the callback', async () => {
    const browser = new Browser();
    const start = await browser.request(`${gateway.url}/auth/login?returnTo=/safe`);
    const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
    const stored = JSON.parse((await redis.get(pendingLoginKey(state)))!) as Record<string, unknown>;
    await redis.set(pendingLoginKey(state), JSON.stringify({ ...stored, returnTo: '//evil.example/' }), 'KEEPTTL');
    const response = await browser.request(await browser.authorize(start.headers.get('location')!, 'alice', 'alice-password'));
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/');
  });
});

describe('GET /auth/me', () => {
  it('names the user and never a token', async () => {
    const browser = new Browser();
    await browser.login(gateway.url, 'alice', 'alice-password');
    await browser.request(`${gateway.url}/api/whoami`);
    const accessToken = String(env.upstream.requests.at(-1)!.headers.authorization).slice('Bearer '.length);
    const response = await browser.request(`${gateway.url}/auth/me`);
    expect(response.status).toBe(200);
    const text = await response.text();
    const body = JSON.parse(text) as Record<string, unknown>;
    expect(body['userId']).toBe('alice');
    expect(body['email']).toBe('alice@example.test');
    expect(Object.keys(body).sort()).toEqual(['csrfToken', 'email', 'name', 'sessionExpiresAt', 'userId']);
    expect(text).not.toContain(accessToken);
    expect(text).not.toContain(accessToken.split('.')[1]!);
  });

  it('answers 401 with the login URL without a session', async () => {
    const response = await fetch(`${gateway.url}/auth/me`);
    expect(response.status).toBe(401);
    const body = (await response.json()) as { code: string; loginUrl: string };
    expect(body.code).toBe('login_required');
    expect(body.loginUrl).toBe(`${gateway.url}/auth/login`);
  });
});

describe('POST /auth/logout', () => {
  it('ends the session and continues at the end-session endpoint', async () => {
    const browser = new Browser();
    const cookie = sessionCookie(await browser.login(gateway.url, 'alice', 'alice-password'))!.value;
    const response = await browser.request(`${gateway.url}/auth/logout`, { method: 'POST', headers: { origin: gateway.url } });
    expect(response.status).toBe(303);
    const location = new URL(response.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(`${env.provider.issuer}/session/end`);
    expect(location.searchParams.get('post_logout_redirect_uri')).toBe(`${gateway.url}/`);
    expect(location.searchParams.get('client_id')).toBe('session-gateway');
    expect(location.searchParams.has('id_token_hint')).toBe(false);
    expect(sessionCookie(response)?.attributes.get('max-age')).toBe('0');
    expect((await fetch(`${gateway.url}/auth/me`, { headers: { cookie: `session=${cookie}` } })).status).toBe(401);
  });

  it('removes the record and its index entry', async () => {
    const browser = new Browser();
    await browser.login(gateway.url, 'bob', 'bob-password');
    const before = await gatewaySessionsOf('bob');
    await browser.request(`${gateway.url}/auth/logout`, { method: 'POST', headers: { origin: gateway.url } });
    expect(await gatewaySessionsOf('bob')).toBe(before - 1);
  });

  it('answers JSON to API clients', async () => {
    const browser = new Browser();
    await browser.login(gateway.url, 'alice', 'alice-password');
    const response = await browser.request(`${gateway.url}/auth/logout`, { method: 'POST', headers: { origin: gateway.url, accept: 'application/json' } });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ loggedOut: true });
  });

  it('rejects a cross-site logout', async () => {
    const browser = new Browser();
    await browser.login(gateway.url, 'alice', 'alice-password');
    const response = await browser.request(`${gateway.url}/auth/logout`, { method: 'POST', headers: { origin: 'https://evil.example' } });
    expect(response.status).toBe(403);
    expect((await browser.request(`${gateway.url}/auth/me`)).status).toBe(200);
  });

  it('audits the logout', async () => {
    const browser = new Browser('logout-check/1.0');
    await browser.login(gateway.url, 'alice', 'alice-password');
    await browser.request(`${gateway.url}/auth/logout`, { method: 'POST', headers: { origin: gateway.url } });
    const event = await waitForAuditEvent(env, (candidate) => candidate.kind === 'auth.logout' && candidate.userAgent === 'logout-check/1.0', 'auth.logout event');
    expect(event.principal).toEqual({ type: 'user', id: 'alice' });
  });

  it('redirects only to a same-origin return path without a session', async () => {
    const response = await fetch(`${gateway.url}/auth/logout?returnTo=//evil.example`, { method: 'POST', redirect: 'manual' });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/');
  });
});

async function gatewaySessionsOf(userId: string): Promise<number> {
  return (await gateway.gateway.context.sessions.listUser(userId)).length;
}
