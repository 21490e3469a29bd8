import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';

/** A dependency probe for /readyz: resolves when the dependency is usable, throws otherwise. */
export type ReadinessCheck = () => Promise<void>;

const CheckResult = Type.Object({ status: Type.Union([Type.Literal('ok'), Type.Literal('failed')]), detail: Type.Optional(Type.String()) });

export function installHealthRoutes(app: FastifyInstance, checks: Record<string, ReadinessCheck>, timeoutMs = 2_000): void {
  app.get('/healthz', {
    schema: { tags: ['health'], summary: 'Liveness: the process is running', response: { 200: Type.Object({ status: Type.Literal('ok') }) } },
    logLevel: 'warn',
  }, async () => ({ status: 'ok' as const }));

  app.get('/readyz', {
    schema: {
      tags: ['health'],
      summary: 'Readiness: every dependency this service needs is reachable',
      response: {
        200: Type.Object({ status: Type.Literal('ready'), checks: Type.Record(Type.String(), CheckResult) }),
        503: Type.Object({ status: Type.Literal('not_ready'), checks: Type.Record(Type.String(), CheckResult) }),
      },
    },
    logLevel: 'warn',
  }, async (request, reply) => {
    const results: Record<string, { status: 'ok' | 'failed'; detail?: string }> = {};
    await Promise.all(Object.entries(checks).map(async ([name, check]) => {
      try {
        await withTimeout(check(), timeoutMs, `${name} check timed out after ${timeoutMs} ms`);
        results[name] = { status: 'ok' };
      } catch (error) {
        results[name] = { status: 'failed', detail: error instanceof Error ? error.message : String(error) };
      }
    }));
    const ready = Object.values(results).every((result) => result.status === 'ok');
    if (!ready) request.log.warn({ checks: results, code: 'not_ready' }, 'readiness check failed');
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks: results });
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
