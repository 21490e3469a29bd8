import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@platform/service-kit';
import { buildSampleBackend } from '../src/app.ts';

let app: Awaited<ReturnType<typeof buildSampleBackend>>;
let base: string;

beforeAll(async () => {
  app = await buildSampleBackend(createLogger('sample-backend-test', 'silent'));
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await app?.close();
});

describe('sample backend', () => {
  it('echoes the user identity headers', async () => {
    const response = await fetch(`${base}/api/transactions`, {
      headers: { 'x-user-id': 'alice', 'x-principal-type': 'user', 'x-scopes': 'transactions:read transactions:write', 'x-rate-tier': 'standard', 'x-request-id': 'req-1' },
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { identity: Record<string, unknown>; transactions: unknown[] };
    expect(body.identity).toEqual({ userId: 'alice', principalType: 'user', scopes: ['transactions:read', 'transactions:write'], rateTier: 'standard', requestId: 'req-1' });
    expect(body.transactions.length).toBeGreaterThan(0);
  });

  it('echoes an M2M identity for one transaction', async () => {
    const response = await fetch(`${base}/api/transactions/42`, { headers: { 'x-client-id': 'demo-m2m-client', 'x-principal-type': 'm2m', 'x-scopes': 'transactions:read' } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { identity: Record<string, unknown>; transaction: { id: string } };
    expect(body.identity['clientId']).toBe('demo-m2m-client');
    expect(body.identity['principalType']).toBe('m2m');
    expect(body.transaction.id).toBe('42');
  });

  it('rejects requests without identity headers', async () => {
    const response = await fetch(`${base}/api/transactions`);
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(((await response.json()) as { code: string }).code).toBe('identity_missing');
  });

  it('rejects malformed transaction ids', async () => {
    const response = await fetch(`${base}/api/transactions/${encodeURIComponent('1;DROP')}`, { headers: { 'x-user-id': 'alice' } });
    expect(response.status).toBe(400);
  });

  it('serves OpenAPI and health', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const openapi = (await (await fetch(`${base}/docs/json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(openapi.paths)).toContain('/api/transactions/{id}');
  });
});
