import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signTestToken } from '@platform/testing';
import { Browser } from './support/browser.ts';
import { CRAFTED_ISSUER, startEnvironment, type RunningGateway, type TestEnvironment } from './support/environment.ts';
import { jwtPayload, queuedAuditEvents, waitForAuditEvent, waitingTokenRevocations } from './support/queued.ts';
import { ADMIN_CLIENT, API_AUDIENCE, PLAIN_CLIENT } from './support/test-provider.ts';

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

async function loggedIn(user: string): Promise<Browser> {
  const browser = new Browser(`${user}-browser/1.0`);
  expect((await browser.login(gateway.url, user, `${user}-password`)).status).toBe(303);
  return browser;
}

function admin(method: string, path: string, options: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${options.token ?? adminToken}`, ...options.headers };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${gateway.url}${path}`, { method, headers, ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }) });
}

function crafted(claims: Record<string, unknown>, options: { audience?: string; expiresInSeconds?: number; issuedAt?: number } = {}): Promise<string> {
  return signTestToken(env.craftedKey, {
    issuer: CRAFTED_ISSUER,
    audience: options.audience ?? API_AUDIENCE,
    subject: 'security-officer',
    claims,
    ...(options.expiresInSeconds === undefined ? {} : { expiresInSeconds: options.expiresInSeconds }),
    ...(options.issuedAt === undefined ? {} : { issuedAt: options.issuedAt }),
  });
}

/** Seeds a session directly in the store, for users the provider does not know. */
async function seed(userId: string): Promise<void> {
  await gateway.gateway.context.sessions.create({ userId, clientIp: '192.0.2.9', userAgent: 'seed', tokens: { accessToken: 'a.b.c', accessTokenExpiresAt: Date.now() + 600_000 } });
}

async function sessionCount(userId: string): Promise<number> {
  return (await gateway.gateway.context.sessions.listUser(userId)).length;
}

describe('DELETE /api/sessions/user/{userId}', () => {
  it('ends every session of the user, and the revocation and audit jobs wait in their queues', async () => {
    const first = await loggedIn('alice');
    const second = await loggedIn('alice');
    const bystander = await loggedIn('bob');
    for (const browser of [first, second, bystander]) expect((await browser.request(`${gateway.url}/api/ping`)).status).toBe(200);
    const revocationsBefore = (await waitingTokenRevocations(env)).length;
    const startedAt = Date.now();

    const response = await admin('DELETE', '/api/sessions/user/alice', { body: { reason: 'account compromised' }, headers: { 'x-request-id': 'revoke-alice-1' } });

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ userId: 'alice', revokedSessions: 2 });
    for (const browser of [first, second]) {
      const next = await browser.request(`${gateway.url}/api/ping`);
      expect(next.status).toBe(401);
      expect(((await next.json()) as { loginUrl: string }).loginUrl).toBe(`${gateway.url}/auth/login`);
    }
    expect((await bystander.request(`${gateway.url}/api/ping`)).status).toBe(200);

    const jobs = await waitingTokenRevocations(env);
    expect(jobs.length).toBe(revocationsBefore + 1);
    const job = jobs.find((candidate) => candidate.data.id === 'alice' && candidate.data.meta.requestId === 'revoke-alice-1')!;
    expect(job.data).toMatchObject({ action: 'revoke', type: 'user', id: 'alice', reason: 'account compromised' });
    expect(job.data.notBefore).toBeGreaterThanOrEqual(startedAt);

    const events = await queuedAuditEvents(env);
    const revoked = events.find((event) => event.kind === 'sessions.revoked' && event.requestId === 'revoke-alice-1');
    expect(revoked).toMatchObject({
      actor: { type: 'm2m', id: ADMIN_CLIENT.id },
      principal: { type: 'user', id: 'alice' },
      reason: 'account compromised',
      decision: 'success',
      context: { targetUserId: 'alice', revokedSessions: 2 },
    });
  });

  it('is idempotent and queues a new job for every call', async () => {
    await seed('carol');
    const first = await admin('DELETE', '/api/sessions/user/carol');
    const second = await admin('DELETE', '/api/sessions/user/carol');
    expect(await first.json()).toEqual({ userId: 'carol', revokedSessions: 1 });
    expect(await second.json()).toEqual({ userId: 'carol', revokedSessions: 0 });
    const jobs = (await waitingTokenRevocations(env)).filter((job) => job.data.id === 'carol');
    expect(jobs).toHaveLength(2);
    expect(new Set(jobs.map((job) => job.id)).size).toBe(2);
  });

  it('answers after the cut-off second ends', async () => {
    await seed('dave');
    const response = await admin('DELETE', '/api/sessions/user/dave');
    const answeredAt = Date.now();
    expect(response.status).toBe(200);
    const [job] = (await waitingTokenRevocations(env)).filter((queued) => queued.data.id === 'dave');
    // A token issued after the response must have a later iat second than the cut-off.
    expect(Math.floor(answeredAt / 1000)).toBeGreaterThan(Math.floor(job!.data.notBefore! / 1000));
  });

  it('uses job ids without colons for user ids with colons', async () => {
    await seed('urn:example:user:7');
    const response = await admin('DELETE', `/api/sessions/user/${encodeURIComponent('urn:example:user:7')}`);
    expect(await response.json()).toEqual({ userId: 'urn:example:user:7', revokedSessions: 1 });
    const jobs = (await waitingTokenRevocations(env)).filter((job) => job.data.id === 'urn:example:user:7');
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.id).not.toContain(':');
  });

  it.each(['*', 'user-1*', '[a-z]*', 'user-1:x', 'user-1{', '{u:x}', '?', 'user-?'])('with the id %j matches nothing but itself', async (pattern) => {
    const others = ['user-1', 'user-10', 'user-1:x:y', 'x'];
    for (const userId of others) await seed(userId);
    const counts = await Promise.all(others.map(sessionCount));

    const response = await admin('DELETE', `/api/sessions/user/${encodeURIComponent(pattern)}`);

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ userId: pattern, revokedSessions: 0 });
    expect(await Promise.all(others.map(sessionCount))).toEqual(counts);
  });

  it('ends the sessions of a user whose id looks like a pattern', async () => {
    await seed('user-2');
    await seed('user-2*');
    const response = await admin('DELETE', `/api/sessions/user/${encodeURIComponent('user-2*')}`);
    expect(await response.json()).toEqual({ userId: 'user-2*', revokedSessions: 1 });
    expect(await sessionCount('user-2')).toBe(1);
  });

  it.each([
    ['too long', 'u'.repeat(257)],
    ['a slash', 'a/b'],
    ['a space', 'a b'],
    ['a quote', 'a"b'],
    ['non-ASCII', 'usér'],
  ])('rejects an id with %s', async (_case, userId) => {
    const response = await admin('DELETE', `/api/sessions/user/${encodeURIComponent(userId)}`);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
  });
});

describe('authorization', () => {
  async function expectStatus(response: Response, status: number, code: string) {
    expect(response.status).toBe(status);
    expect(((await response.json()) as { code: string }).code).toBe(code);
  }

  it('rejects a call without a token', async () => {
    const response = await fetch(`${gateway.url}/api/sessions/user/alice`, { method: 'DELETE' });
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    await expectStatus(response, 401, 'missing_token');
  });

  it('rejects a session cookie alone, even an administrator\'s', async () => {
    const browser = await loggedIn('admin');
    const response = await browser.request(`${gateway.url}/api/sessions/user/alice`, { method: 'DELETE', headers: { origin: gateway.url } });
    await expectStatus(response, 401, 'missing_token');
  });

  it.each([
    ['a malformed token', async () => 'not-a-jwt'],
    ['an expired token', () => crafted({ permissions: ['sessions:revoke'] }, { issuedAt: Math.floor(Date.now() / 1000) - 3600, expiresInSeconds: 60 })],
    ['a token for another audience', () => crafted({ permissions: ['sessions:revoke'] }, { audience: 'urn:other:api' })],
    ['a tampered token', async () => {
      const token = await crafted({ permissions: [] });
      const [header, , signature] = token.split('.');
      const payload = Buffer.from(JSON.stringify({ ...jwtPayload(token), permissions: ['sessions:revoke'] })).toString('base64url');
      return `${header}.${payload}.${signature}`;
    }],
    ['an alg none token', async () => {
      const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
      const payload = Buffer.from(JSON.stringify({ iss: CRAFTED_ISSUER, aud: API_AUDIENCE, sub: 'x', exp: Math.floor(Date.now() / 1000) + 60, permissions: ['sessions:revoke'] })).toString('base64url');
      return `${header}.${payload}.`;
    }],
  ])('refuses %s with 401', async (_case, token) => {
    const response = await admin('DELETE', '/api/sessions/user/alice', { token: await token() });
    expect(response.headers.get('www-authenticate')).toContain('invalid_token');
    await expectStatus(response, 401, 'invalid_token');
  });

  it('rejects a valid token without the permission with 403', async () => {
    const token = await env.provider.clientToken(PLAIN_CLIENT.id, PLAIN_CLIENT.secret);
    await expectStatus(await admin('DELETE', '/api/sessions/user/alice', { token }), 403, 'permission_missing');
    await expectStatus(await admin('GET', '/api/sessions/user/alice', { token }), 403, 'permission_missing');
  });

  it('rejects a plain user\'s token with 403', async () => {
    await expectStatus(await admin('GET', '/api/sessions/user/alice', { token: await crafted({ permissions: ['users:read'], scope: 'openid profile' }) }), 403, 'permission_missing');
  });

  it('accepts the permission from the scope claim', async () => {
    const response = await admin('GET', '/api/sessions/user/alice', { token: await crafted({ scope: 'openid sessions:revoke' }) });
    expect(response.status).toBe(200);
  });

  it('audits refused calls', async () => {
    await fetch(`${gateway.url}/api/sessions/user/dave`, { method: 'DELETE', headers: { 'x-request-id': 'refused-401' } });
    const token = await env.provider.clientToken(PLAIN_CLIENT.id, PLAIN_CLIENT.secret);
    await admin('DELETE', '/api/sessions/user/dave', { token, headers: { 'x-request-id': 'refused-403' } });
    const unauthenticated = await waitForAuditEvent(env, (event) => event.requestId === 'refused-401', '401 audit event');
    const forbidden = await waitForAuditEvent(env, (event) => event.requestId === 'refused-403', '403 audit event');
    expect(unauthenticated).toMatchObject({ kind: 'admin.action', decision: 'deny', reason: 'missing_token', http: { status: 401 } });
    expect(forbidden).toMatchObject({ kind: 'admin.action', decision: 'deny', reason: 'permission_missing', principal: { type: 'm2m', id: PLAIN_CLIENT.id }, http: { status: 403 } });
  });

  it('audits allowed calls that fail validation', async () => {
    await admin('DELETE', `/api/sessions/user/${'u'.repeat(300)}`, { headers: { 'x-request-id': 'invalid-id-400' } });
    const event = await waitForAuditEvent(env, (candidate) => candidate.requestId === 'invalid-id-400', '400 audit event');
    expect(event).toMatchObject({ kind: 'admin.action', decision: 'failure', principal: { type: 'm2m', id: ADMIN_CLIENT.id }, http: { status: 400 } });
  });
});

describe('GET /api/sessions/user/{userId}', () => {
  it('lists sessions with times, address and user agent, never a token', async () => {
    const browser = await loggedIn('bob');
    await browser.request(`${gateway.url}/api/ping`);
    const accessToken = String(env.upstream.requests.at(-1)!.headers.authorization).slice('Bearer '.length);
    const response = await admin('GET', '/api/sessions/user/bob', { headers: { 'x-request-id': 'list-bob' } });
    expect(response.status).toBe(200);
    const text = await response.text();
    const body = JSON.parse(text) as { userId: string; sessions: Array<Record<string, string>> };
    expect(body.userId).toBe('bob');
    const listed = body.sessions.at(-1)!;
    expect(Object.keys(listed).sort()).toEqual(['clientIp', 'createdAt', 'expiresAt', 'lastSeenAt', 'sessionId', 'userAgent']);
    expect(listed['userAgent']).toBe('bob-browser/1.0');
    expect(listed['clientIp']).toBe('127.0.0.1');
    expect(text).not.toContain(accessToken.split('.')[1]!);
    expect(text).not.toContain(browser.cookie(gateway.url, 'session')!.value.split('.')[1]!);
    await waitForAuditEvent(env, (event) => event.requestId === 'list-bob' && event.kind === 'admin.action', 'list audit event');
  });
});

describe('DELETE /api/sessions/{sessionId}', () => {
  it('ends one session and revokes its access token', async () => {
    const kept = await loggedIn('bob');
    const revoked = await loggedIn('bob');
    await revoked.request(`${gateway.url}/api/ping`);
    const jti = String(jwtPayload(String(env.upstream.requests.at(-1)!.headers.authorization).slice('Bearer '.length))['jti']);
    const sessions = (await (await admin('GET', '/api/sessions/user/bob')).json()) as { sessions: Array<{ sessionId: string }> };
    const target = sessions.sessions.at(-1)!.sessionId;

    const response = await admin('DELETE', `/api/sessions/${target}`);

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ sessionId: target, userId: 'bob', revokedSessions: 1 });
    expect((await revoked.request(`${gateway.url}/api/ping`)).status).toBe(401);
    expect((await kept.request(`${gateway.url}/api/ping`)).status).toBe(200);
    const jobs = await waitingTokenRevocations(env);
    expect(jobs.some((job) => job.data.type === 'jti' && job.data.id === jti)).toBe(true);
    expect((await admin('DELETE', `/api/sessions/${target}`)).status).toBe(200);
  });

  it('rejects a malformed session id', async () => {
    const response = await admin('DELETE', '/api/sessions/not-a-session');
    expect(response.status).toBe(400);
  });
});

describe('other paths under /api/sessions', () => {
  it('stay at the gateway', async () => {
    const before = env.upstream.requests.length;
    const response = await admin('POST', '/api/sessions/user/alice/extra', { body: {} });
    expect(response.status).toBe(404);
    expect(env.upstream.requests.length).toBe(before);
  });
});
