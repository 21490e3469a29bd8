import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Type } from 'typebox';
import { HttpProblem, createService, loggerOptions, type Service } from '../src/index.ts';

function captureLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      for (const line of String(chunk).split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  return { logger: pino(loggerOptions('test-service', 'info'), stream), lines };
}

let app: Service | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function build(readiness: Record<string, () => Promise<void>> = {}) {
  const { logger, lines } = captureLogger();
  app = await createService({ name: 'test-service', logger, readiness });
  app.get('/boom', async () => {
    throw new Error('database password is hunter2');
  });
  app.get('/conflict', async () => {
    throw new HttpProblem(409, 'user_deleted', 'The user is deleted.');
  });
  app.post('/echo', { schema: { body: Type.Object({ name: Type.String({ minLength: 1 }) }) } }, async (request) => request.body);
  app.get('/count', { schema: { querystring: Type.Object({ limit: Type.Integer() }) } }, async (request) => {
    const { limit } = request.query as { limit: number };
    return { limit, type: typeof limit };
  });
  app.post('/strict', { schema: { body: Type.Object({ name: Type.String() }, { additionalProperties: false }) } }, async (request) => request.body);
  app.get('/log-secret', async (request) => {
    request.log.info({ token: 'eyJ.secret.token', clientSecret: 's3cret' }, 'handled');
    return { ok: true };
  });
  await app.ready();
  return { app, lines };
}

describe('createService', () => {
  it('answers problem+json without internals on an unexpected error', async () => {
    const { app } = await build();
    const response = await app.inject({ method: 'GET', url: '/boom' });
    expect(response.statusCode).toBe(500);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.body).not.toContain('hunter2');
    expect(response.body).not.toContain('at ');
    expect(response.json()).toMatchObject({ status: 500, code: 'internal_error' });
  });

  it('keeps the status and code of an HttpProblem', async () => {
    const { app } = await build();
    const response = await app.inject({ method: 'GET', url: '/conflict' });
    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({ status: 409, code: 'user_deleted', title: 'Conflict' });
  });

  it('answers 400 problem+json for an invalid body', async () => {
    const { app } = await build();
    const response = await app.inject({ method: 'POST', url: '/echo', payload: { name: '' } });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'invalid_request' });
  });

  it('rejects a property the schema does not allow', async () => {
    const { app } = await build();
    const response = await app.inject({ method: 'POST', url: '/strict', payload: { name: 'a', extra: 1 } });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'invalid_request', detail: 'body has an unknown property "extra".' });
  });

  it('rejects a body value of the wrong type', async () => {
    const { app } = await build();
    const response = await app.inject({ method: 'POST', url: '/echo', payload: { name: 5 } });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'invalid_request', detail: 'body/name must be string.' });
  });

  it('still coerces querystring values', async () => {
    const { app } = await build();
    const response = await app.inject({ method: 'GET', url: '/count?limit=7' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ limit: 7, type: 'number' });
  });

  it('answers 400 problem+json for malformed JSON', async () => {
    const { app } = await build();
    const response = await app.inject({ method: 'POST', url: '/echo', payload: '{"name":', headers: { 'content-type': 'application/json' } });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json()).toMatchObject({ code: 'invalid_json' });
  });

  it('answers 404 problem+json for an unknown route', async () => {
    const { app } = await build();
    const response = await app.inject({ method: 'GET', url: '/nowhere?x=1' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: 'route_not_found' });
  });

  it('echoes a valid X-Request-Id and logs it', async () => {
    const { app, lines } = await build();
    const response = await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'req-123' } });
    expect(response.headers['x-request-id']).toBe('req-123');
    await app.inject({ method: 'GET', url: '/log-secret', headers: { 'x-request-id': 'req-456' } });
    const handled = lines.find((line) => line['message'] === 'handled');
    expect(handled?.['requestId']).toBe('req-456');
    expect(typeof handled?.['traceId']).toBe('string');
  });

  it('replaces an unsafe X-Request-Id', async () => {
    const { app } = await build();
    const response = await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'bad id\nwith newline' } });
    expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('takes the trace id from traceparent', async () => {
    const { app, lines } = await build();
    await app.inject({ method: 'GET', url: '/log-secret', headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } });
    const handled = lines.find((line) => line['message'] === 'handled');
    expect(handled?.['traceId']).toBe('0af7651916cd43dd8448eb211c80319c');
  });

  it('redacts tokens, secrets, cookies and authorization headers in logs', async () => {
    const { app, lines } = await build();
    await app.inject({ method: 'GET', url: '/log-secret', headers: { authorization: 'Bearer eyJ.abc.def', cookie: 'sid=abc' } });
    const text = JSON.stringify(lines);
    expect(text).not.toContain('eyJ.secret.token');
    expect(text).not.toContain('s3cret');
    expect(text).not.toContain('eyJ.abc.def');
    expect(text).not.toContain('sid=abc');
  });

  it('reports readiness per dependency', async () => {
    let healthy = true;
    const { app } = await build({ redis: async () => {
      if (!healthy) throw new Error('redis connection is reconnecting');
    } });
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    healthy = false;
    const response = await app.inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({ status: 'not_ready', checks: { redis: { status: 'failed', detail: 'redis connection is reconnecting' } } });
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });

  it('serves an OpenAPI document', async () => {
    const { app } = await build();
    const response = await app.inject({ method: 'GET', url: '/docs/json' });
    expect(response.statusCode).toBe(200);
    const document = response.json() as { openapi: string; paths: Record<string, unknown> };
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths)).toContain('/echo');
  });
});
