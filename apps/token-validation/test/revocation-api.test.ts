import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor, type RedisServer } from '@platform/testing';
import { queuedAuditEvents } from './support/audit-queue.ts';
import { adminToken, m2mToken, startIssuers, startRedis, startService, userToken, type Issuers, type RunningService } from './support/harness.ts';

let redis: RedisServer;
let issuers: Issuers;
let service: RunningService;
let admin: string;

beforeAll(async () => {
  redis = await startRedis();
  issuers = await startIssuers();
  service = await startService(redis.url, issuers);
  admin = await adminToken(issuers, 'security-officer');
});

afterAll(async () => {
  await service?.close();
  await issuers?.close();
  await redis?.stop();
});

function call(method: string, path: string, options: { token?: string; body?: unknown; rawBody?: string } = {}): Promise<Response> {
  const headers: Record<string, string> = {};
  if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
  if (options.body !== undefined || options.rawBody !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${service.url}${path}`, { method, headers, body: options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body)) });
}

describe('POST /api/revocations', () => {
  it('creates a user revocation and records a tokens.revoked event', async () => {
    const response = await call('POST', '/api/revocations', { token: admin, body: { type: 'user', id: 'auth0|api-user', reason: 'stolen laptop' } });
    expect(response.status).toBe(201);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ type: 'user', id: 'auth0|api-user', reason: 'stolen laptop' });
    expect(body['notBefore']).toBe(body['revokedAt']);
    expect(typeof body['expiresAt']).toBe('string');

    const events = await queuedAuditEvents(redis.port);
    const event = events.find((candidate) => candidate['kind'] === 'tokens.revoked' && (candidate['context'] as { targetId: string }).targetId === 'auth0|api-user');
    expect(event).toMatchObject({ decision: 'success', principal: { type: 'user', id: 'security-officer' }, context: { revocationType: 'user' } });
  });

  it('accepts an M2M caller holding the permission', async () => {
    const caller = await m2mToken(issuers, 'platform-admin-cli', { claims: { scope: 'tokens:revoke' } });
    const response = await call('POST', '/api/revocations', { token: caller, body: { type: 'jti', id: 'm2m-revoked-jti', reason: 'leak' } });
    expect(response.status).toBe(201);
  });

  it.each([
    ['an unknown type', { type: 'group', id: 'x', reason: 'r' }],
    ['a missing id', { type: 'user', reason: 'r' }],
    ['an empty id', { type: 'user', id: '', reason: 'r' }],
    ['a missing reason', { type: 'user', id: 'x' }],
    ['an id with a control character', { type: 'user', id: 'a\u0000b', reason: 'r' }],
    ['an until that is not a date', { type: 'user', id: 'x', reason: 'r', until: 'tomorrow' }],
    ['an until in the past', { type: 'user', id: 'x', reason: 'r', until: '2001-01-01T00:00:00Z' }],
    ['an until on a jti', { type: 'jti', id: 'x', reason: 'r', until: '2999-01-01T00:00:00Z' }],
    ['an array', [{ type: 'user', id: 'x', reason: 'r' }]],
  ])('answers 400 problem+json for %s', async (_case, body) => {
    const response = await call('POST', '/api/revocations', { token: admin, body });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
  });

  it('answers 400 problem+json for malformed JSON', async () => {
    const response = await call('POST', '/api/revocations', { token: admin, rawBody: '{"type": "user",' });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
  });

  it('answers 401 without a token', async () => {
    const response = await call('POST', '/api/revocations', { body: { type: 'user', id: 'x', reason: 'r' } });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="api"');
  });

  it('answers 401 for a revoked admin token', async () => {
    const revokedAdmin = await adminToken(issuers, 'former-admin', { jti: 'former-admin-token' });
    expect((await call('POST', '/api/revocations', { token: admin, body: { type: 'jti', id: 'former-admin-token', reason: 'left' } })).status).toBe(201);
    const response = await call('GET', '/api/revocations', { token: revokedAdmin });
    expect(response.status).toBe(401);
  });

  it('answers 403 without the permission and audits the refusal', async () => {
    const plain = await userToken(issuers, 'curious-user');
    const response = await call('POST', '/api/revocations', { token: plain, body: { type: 'user', id: 'victim', reason: 'r' } });
    expect(response.status).toBe(403);
    expect(((await response.json()) as { code: string }).code).toBe('permission_missing');

    let refusal: Record<string, unknown> | undefined;
    await waitFor(async () => {
      const events = await queuedAuditEvents(redis.port);
      refusal = events.find((event) => event['kind'] === 'admin.action' && (event['principal'] as { id: string }).id === 'curious-user');
      return refusal !== undefined;
    }, 'the refusal to be audited');
    expect(refusal).toMatchObject({ decision: 'deny', reason: 'permission_missing' });
  });
});

describe('GET /api/revocations', () => {
  it('lists entries by type, page by page', async () => {
    for (let i = 0; i < 5; i += 1) {
      expect((await call('POST', '/api/revocations', { token: admin, body: { type: 'client', id: `paged-client-${i}`, reason: 'r' } })).status).toBe(201);
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page += 1) {
      const query = new URLSearchParams({ type: 'client', limit: '2', ...(cursor ? { cursor } : {}) });
      const response = await call('GET', `/api/revocations?${query}`, { token: admin });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { items: Array<{ type: string; id: string }>; nextCursor?: string };
      expect(body.items.length).toBeLessThanOrEqual(2);
      for (const item of body.items) {
        expect(item.type).toBe('client');
        seen.push(item.id);
      }
      cursor = body.nextCursor;
      if (cursor === undefined) break;
    }
    expect(seen).toEqual(['paged-client-0', 'paged-client-1', 'paged-client-2', 'paged-client-3', 'paged-client-4']);
  });

  it('answers 400 for an unknown type filter', async () => {
    expect((await call('GET', '/api/revocations?type=group', { token: admin })).status).toBe(400);
  });

  it('answers 400 for a forged cursor', async () => {
    expect((await call('GET', '/api/revocations?cursor=bm90LWEtY3Vyc29y', { token: admin })).status).toBe(400);
  });
});

describe('DELETE /api/revocations/{type}/{id}', () => {
  it('lifts an entry, then answers 404', async () => {
    expect((await call('POST', '/api/revocations', { token: admin, body: { type: 'user', id: 'urn:user:lifted', reason: 'mistake' } })).status).toBe(201);
    const path = `/api/revocations/user/${encodeURIComponent('urn:user:lifted')}`;
    const lifted = await call('DELETE', path, { token: admin });
    expect(lifted.status).toBe(200);
    expect(await lifted.json()).toEqual({ type: 'user', id: 'urn:user:lifted', lifted: true });

    const list = (await (await call('GET', '/api/revocations?type=user&limit=500', { token: admin })).json()) as { items: Array<{ id: string }> };
    expect(list.items.map((item) => item.id)).not.toContain('urn:user:lifted');
    expect((await call('DELETE', path, { token: admin })).status).toBe(404);
  });

  it('answers 400 for an unknown type', async () => {
    const response = await call('DELETE', '/api/revocations/group/x', { token: admin });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
  });
});
