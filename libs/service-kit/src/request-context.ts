import { randomUUID } from 'node:crypto';
import { trace } from '@opentelemetry/api';
import type { IncomingMessage } from 'node:http';
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';

// A request id from the caller is kept only when it is short and plain, so that it cannot inject
// log fields or header lines. Otherwise a fresh one is generated.
const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
const TRACEPARENT_PATTERN = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}$/;

export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && REQUEST_ID_PATTERN.test(value) ? value : randomUUID();
}

/** Returns the trace id of the active span, else of an incoming `traceparent`, else a new one. */
export function traceIdFor(request: Pick<FastifyRequest, 'headers'>): string {
  const active = trace.getActiveSpan()?.spanContext();
  if (active && active.traceId !== '00000000000000000000000000000000') return active.traceId;
  const parent = request.headers['traceparent'];
  const match = typeof parent === 'string' ? TRACEPARENT_PATTERN.exec(parent) : null;
  // randomUUID draws from a cached entropy pool, while randomBytes calls into OpenSSL on every
  // request; its 122 random bits are plenty for a trace id.
  return match?.[1] ?? randomUUID().replaceAll('-', '');
}

declare module 'fastify' {
  interface FastifyRequest {
    traceId: string;
  }
}

const TRACE_ID = Symbol('platform.traceId');
type TracedRequest = IncomingMessage & { [TRACE_ID]?: string };

/**
 * Builds Fastify's per-request child logger with the request id and the trace id in one child.
 * A route's own log level is applied through a logger derived once per level, because pino
 * rebuilds every log method of a child created with a level, which would cost that on each request.
 */
export function requestChildLoggerFactory() {
  const byLevel = new Map<string, FastifyBaseLogger>();
  return function childLogger(logger: FastifyBaseLogger, bindings: Record<string, unknown>, options: { level?: string }, rawRequest: IncomingMessage): FastifyBaseLogger {
    const traceId = traceIdFor(rawRequest);
    (rawRequest as TracedRequest)[TRACE_ID] = traceId;
    const { level, ...rest } = options;
    let parent = logger;
    if (level !== undefined && level !== logger.level) {
      parent = byLevel.get(level) ?? logger.child({}, { level });
      byLevel.set(level, parent);
    }
    return parent.child({ ...bindings, traceId }, rest);
  };
}

export function installRequestContext(app: FastifyInstance): void {
  app.decorateRequest('traceId', '');
  app.addHook('onRequest', async (request, reply) => {
    request.traceId = (request.raw as TracedRequest)[TRACE_ID] ?? traceIdFor(request);
    reply.header('x-request-id', request.id);
  });
}
