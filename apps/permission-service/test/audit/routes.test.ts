import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAuditEvent, type AuditEvent } from '@platform/audit-schema';
import { createPartitionsAhead } from '../../src/audit/partitions.ts';
import { createDeadLetterQueue, parkDeadLetters } from '../../src/audit/dead-letters.ts';
import { insertAuditRows, toInsertRow } from '../../src/audit/store.ts';
import { accessEvent } from './fixtures.ts';
import { startInfrastructure, startService, type TestInfrastructure, type TestService } from '../support/service.ts';

let infrastructure: TestInfrastructure;
let harness: TestService;
let reader: string;

const HOUR = 3600 * 1000;
const now = Date.now();
const at = (hoursAgo: number, extraMs = 0) => new Date(now - hoursAgo * HOUR + extraMs);
const window = { from: new Date(now - 24 * HOUR).toISOString(), to: new Date(now + 60_000).toISOString() };

async function store(events: AuditEvent[]): Promise<void> {
  await insertAuditRows(harness.context.db, events.map(toInsertRow));
}

async function get(url: string, token: string | null = reader) {
  const response = await harness.app.inject({ method: 'GET', url, headers: token === null ? {} : { authorization: `Bearer ${token}` } });
  return { status: response.statusCode, body: response.json() as Record<string, unknown> & { items: Array<Record<string, unknown>>; nextCursor: string | null } };
}

function query(parameters: Record<string, string | number>): string {
  return new URLSearchParams({ ...window, ...Object.fromEntries(Object.entries(parameters).map(([key, value]) => [key, String(value)])) }).toString();
}

beforeAll(async () => {
  infrastructure = await startInfrastructure();
  harness = await startService(infrastructure);
  await createPartitionsAhead(harness.context.db, new Date(now - 40 * 24 * HOUR), 2);
  reader = await infrastructure.userToken('auditor-1', ['audit:read']);

  // transactions/42: alice 3 times (one denied), the M2M client twice, bob once but 30 hours ago.
  await store([
    accessEvent({ principalId: 'alice', occurredAt: at(5) }),
    accessEvent({ principalId: 'alice', occurredAt: at(3), decision: 'deny' }),
    accessEvent({ principalId: 'alice', occurredAt: at(1) }),
    accessEvent({ principalType: 'm2m', principalId: 'm2m_partner', occurredAt: at(4) }),
    accessEvent({ principalType: 'm2m', principalId: 'm2m_partner', occurredAt: at(2) }),
    accessEvent({ principalId: 'bob', occurredAt: at(30) }),
    accessEvent({ principalId: 'carol', resourceId: '43', occurredAt: at(1) }),
  ]);
});

afterAll(async () => {
  await harness?.close();
  await infrastructure?.close();
});

describe('GET /v1/audit/resources/{type}/{id}/principals', () => {
  it('returns users and clients with counts', async () => {
    const { status, body } = await get(`/v1/audit/resources/transactions/42/principals?${query({})}`);
    expect(status).toBe(200);
    expect(body.items.map((item) => [item['principalType'], item['principalId'], item['events'], item['allowed'], item['denied']])).toEqual([
      ['user', 'alice', 3, 2, 1],
      ['m2m', 'm2m_partner', 2, 2, 0],
    ]);
    expect(body.items[0]!['lastAccessAt']).toBe(`${at(1).toISOString().slice(0, -1)}000Z`);
    expect(body.nextCursor).toBeNull();
  });

  it('pages with a cursor', async () => {
    const first = await get(`/v1/audit/resources/transactions/42/principals?${query({ limit: 1 })}`);
    expect(first.body.items.map((item) => item['principalId'])).toEqual(['alice']);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await get(`/v1/audit/resources/transactions/42/principals?${query({ limit: 1, cursor: first.body.nextCursor! })}`);
    expect(second.body.items.map((item) => item['principalId'])).toEqual(['m2m_partner']);
    expect(second.body.nextCursor).toBeNull();
  });

  it('rejects a malformed cursor', async () => {
    const { status, body } = await get(`/v1/audit/resources/transactions/42/principals?${query({ cursor: 'bm90LWpzb24' })}`);
    expect(status).toBe(400);
    expect(body['code']).toBe('invalid_cursor');
  });
});

describe('time window', () => {
  it('is required', async () => {
    const { status } = await get('/v1/audit/resources/transactions/42/principals');
    expect(status).toBe(400);
  });

  it('rejects from after to', async () => {
    const { status, body } = await get(`/v1/audit/events?from=${window.to}&to=${window.from}`);
    expect(status).toBe(400);
    expect(body['code']).toBe('invalid_time_window');
  });

  it('rejects a window longer than the maximum', async () => {
    const from = new Date(now - 40 * 24 * HOUR).toISOString();
    const { status, body } = await get(`/v1/audit/events?from=${from}&to=${window.to}`);
    expect(status).toBe(400);
    expect(body['code']).toBe('time_window_too_long');
  });
});

describe('GET /v1/audit/principals/{type}/{id}/events', () => {
  it('pages through events without gaps', async () => {
    // Three events within one millisecond: only microseconds order them, which the cursor must keep.
    const base = at(6).toISOString().slice(0, -1);
    const close = ['001', '002', '003'].map((micros) => ({ ...accessEvent({ principalId: 'dave' }), occurredAt: `${base}${micros}Z` }) as AuditEvent);
    await store([...close, accessEvent({ principalId: 'dave', occurredAt: at(2) })]);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof get>> = await get(`/v1/audit/principals/user/dave/events?${query({ limit: 1, ...(cursor ? { cursor } : {}) })}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((item) => String(item['occurredAt'])));
      cursor = page.body.nextCursor;
    } while (cursor !== null);

    expect(seen).toHaveLength(4);
    expect(seen.slice(1)).toEqual([`${base}003Z`, `${base}002Z`, `${base}001Z`]);
  });

  it('includes admin actions taken as the actor', async () => {
    const action = buildAuditEvent('client.suspended', {
      producer: 'permission-service',
      principal: { type: 'm2m', id: 'm2m_partner' },
      actor: { type: 'user', id: 'erin' },
      action: 'client.suspend',
      resource: { type: 'client', id: 'm2m_partner' },
      decision: 'success',
      occurredAt: at(1),
      context: { clientId: 'm2m_partner', suspensionId: randomUUID(), expiresAt: null },
    }) as AuditEvent;
    await store([action, accessEvent({ principalId: 'erin', occurredAt: at(2) })]);
    const { body } = await get(`/v1/audit/principals/user/erin/events?${query({})}`);
    expect(body.items.map((item) => item['kind'])).toEqual(['client.suspended', 'access.decision']);
    expect(body.items[0]!['actor']).toEqual({ type: 'user', id: 'erin' });
  });

  it('returns the full envelope', async () => {
    const { body } = await get(`/v1/audit/principals/m2m/m2m_partner/events?${query({ kind: 'access.decision' })}`);
    const event = body.items.find((item) => item['kind'] === 'access.decision')!;
    expect(event['principal']).toEqual({ type: 'm2m', id: 'm2m_partner' });
    expect(event['resource']).toEqual({ type: 'transactions', id: '42' });
    expect(event['http']).toEqual({ method: 'GET', path: '/api/transactions/42', status: 200 });
    expect(event['scopes']).toEqual(['transactions:read']);
    expect(event['producer']).toBe('token-validation');
  });
});

describe('GET /v1/audit/events', () => {
  it('filters by decision', async () => {
    const { body } = await get(`/v1/audit/events?${query({ decision: 'deny' })}`);
    expect(body.items.map((item) => item['principal'])).toEqual([{ type: 'user', id: 'alice' }]);
  });

  it('filters by principal type and action', async () => {
    const { body } = await get(`/v1/audit/events?${query({ principalType: 'm2m', action: 'api.access' })}`);
    expect(body.items.length).toBeGreaterThanOrEqual(2);
    expect(body.items.every((item) => (item['principal'] as { type: string }).type === 'm2m')).toBe(true);
  });

  it('lists newest first', async () => {
    const { body } = await get(`/v1/audit/events?${query({ limit: 5 })}`);
    const times = body.items.map((item) => String(item['occurredAt']));
    expect(times).toEqual([...times].sort().reverse());
    expect(body.nextCursor).toEqual(expect.any(String));
  });

  it('rejects an unknown decision', async () => {
    const { status } = await get(`/v1/audit/events?${query({ decision: 'maybe' })}`);
    expect(status).toBe(400);
  });

  it('rejects an unknown kind and lists the known ones', async () => {
    const { status, body } = await get(`/v1/audit/events?${query({ kind: 'bogus' })}`);
    expect(status).toBe(400);
    expect(String(body['detail'])).toContain('access.decision');
  });
});

describe('GET /v1/audit/principals/m2m/{clientId}/usage', () => {
  it('counts requests per hour and endpoint', async () => {
    await store([
      accessEvent({ principalType: 'm2m', principalId: 'm2m_usage', resourceId: '7', occurredAt: at(2, 60_000) }),
      accessEvent({ principalType: 'm2m', principalId: 'm2m_usage', resourceId: '8', occurredAt: at(2, 120_000), decision: 'deny' }),
      accessEvent({ principalType: 'm2m', principalId: 'm2m_usage', resourceType: 'accounts', resourceId: '5', occurredAt: at(1) }),
    ]);
    const { status, body } = await get(`/v1/audit/principals/m2m/m2m_usage/usage?${query({})}`);
    expect(status).toBe(200);
    expect(body['totalRequests']).toBe(3);
    const hours = body['hours'] as Array<{ requests: number; denied: number }>;
    expect(hours.map((hour) => hour.requests).reduce((sum, count) => sum + count, 0)).toBe(3);
    expect(hours.map((hour) => hour.denied).reduce((sum, count) => sum + count, 0)).toBe(1);
    const endpoints = body['endpoints'] as Array<Record<string, unknown>>;
    expect(endpoints.map((endpoint) => [endpoint['method'], endpoint['endpoint'], endpoint['requests'], endpoint['denied']])).toEqual([
      ['GET', '/api/transactions/{id}', 2, 1],
      ['GET', '/api/accounts/{id}', 1, 0],
    ]);
  });
});

describe('GET /v1/audit/dead-letters', () => {
  it('lists parked events with the reason', async () => {
    const queue = createDeadLetterQueue({ host: '127.0.0.1', port: infrastructure.redis.port });
    await parkDeadLetters(queue, [{ reason: 'unknown audit event kind "x"', event: { kind: 'x' }, producer: 'session-gateway', sourceJobId: 'job-1', index: 0 }]);
    await queue.close();
    const { status, body } = await get('/v1/audit/dead-letters');
    expect(status).toBe(200);
    expect(body['total']).toBe(1);
    expect(body.items[0]).toMatchObject({ reason: 'unknown audit event kind "x"', producer: 'session-gateway', sourceJobId: 'job-1', index: 0, event: { kind: 'x' } });
  });
});

describe('authorization of audit routes', () => {
  const routes = [
    `/v1/audit/resources/transactions/42/principals?${query({})}`,
    `/v1/audit/principals/user/alice/events?${query({})}`,
    `/v1/audit/events?${query({})}`,
    `/v1/audit/principals/m2m/m2m_partner/usage?${query({})}`,
    '/v1/audit/dead-letters',
  ];

  it.each(routes)('requires a token: %s', async (url) => {
    const { status, body } = await get(url, null);
    expect(status).toBe(401);
    expect(body['code']).toBe('missing_token');
  });

  it.each(routes)('requires audit:read: %s', async (url) => {
    const token = await infrastructure.userToken('plain-user', ['users:read', 'clients:manage']);
    const { status, body } = await get(url, token);
    expect(status).toBe(403);
    expect(body['code']).toBe('permission_denied');
  });

  it.each(routes)('allows an M2M client with audit:read: %s', async (url) => {
    const token = await infrastructure.clientToken('m2m_auditor', ['audit:read']);
    const { status } = await get(url, token);
    expect(status).toBe(200);
  });
});
