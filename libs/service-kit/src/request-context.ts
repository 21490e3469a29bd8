import { randomBytes, randomUUID } from 'node:crypto';
import { trace } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';

// A request id from the caller is kept only when it is short and plain, so that it cannot inject
// log fields or header lines; otherwise a fresh one is generated.
const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
const TRACEPARENT_PATTERN = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}$/;

export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && REQUEST_ID_PATTERN.test(value) ? value : randomUUID();
}

/** Returns the trace id of the active span, else of an incoming `traceparent`, else a new one. */
export function traceIdFor(request: FastifyRequest): string {
  const active = trace.getActiveSpan()?.spanContext();
  if (active && active.traceId !== '00000000000000000000000000000000') return active.traceId;
  const parent = request.headers['traceparent'];
  const match = typeof parent === 'string' ? TRACEPARENT_PATTERN.exec(parent) : null;
  return match?.[1] ?? randomBytes(16).toString('hex');
}

declare module 'fastify' {
  interface FastifyRequest {
    traceId: string;
  }
}

export function installRequestContext(app: FastifyInstance): void {
  app.decorateRequest('traceId', '');
  app.addHook('onRequest', async (request, reply) => {
    request.traceId = traceIdFor(request);
    request.log = request.log.child({ traceId: request.traceId });
    reply.header('x-request-id', request.id);
  });
}
