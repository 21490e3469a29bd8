import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, waitFor } from '@platform/testing';
import { startInfrastructure, startService, type TestInfrastructure, type TestService } from './support/service.ts';

let infrastructure: TestInfrastructure;

beforeAll(async () => {
  infrastructure = await startInfrastructure();
});

afterAll(async () => {
  await infrastructure?.close();
});

describe('GET /readyz', () => {
  it('reports ready with PostgreSQL and Redis reachable', async () => {
    const service = await startService(infrastructure);
    try {
      await waitFor(async () => (await service.call('GET', '/readyz')).statusCode === 200, 'the service to become ready');
      const response = await service.call('GET', '/readyz');
      expect(response.json().checks).toEqual({ postgres: { status: 'ok' }, redis: { status: 'ok' } });
    } finally {
      await service.close();
    }
  });

  it('reports not ready when PostgreSQL is unreachable', async () => {
    const closedPort = await freePort();
    let service: TestService | undefined;
    try {
      service = await startService(infrastructure, { DATABASE_URL: `postgres://postgres@127.0.0.1:${closedPort}/nowhere` });
      const started = service;
      await waitFor(async () => (await started.call('GET', '/readyz')).json().checks.redis.status === 'ok', 'the Redis connection');
      const ready = await service.call('GET', '/readyz');
      expect(ready.statusCode).toBe(503);
      expect(ready.json().checks.postgres.status).toBe('failed');
      expect(ready.json().checks.redis.status).toBe('ok');
      expect((await service.call('GET', '/healthz')).statusCode).toBe(200);
    } finally {
      await service?.close();
    }
  });
});
