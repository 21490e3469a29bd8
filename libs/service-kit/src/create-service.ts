import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Logger } from 'pino';
import { installHealthRoutes, type ReadinessCheck } from './health.ts';
import { installProblemHandlers } from './problem.ts';
import { buildValidatorWithStrictBodies } from './validator-compiler.ts';
import { installRequestContext, requestChildLoggerFactory, requestIdFrom } from './request-context.ts';

export interface ServiceOptions {
  name: string;
  version?: string;
  description?: string;
  logger: Logger;
  readiness?: Record<string, ReadinessCheck>;
  /** Extra Fastify options. */
  fastify?: { bodyLimit?: number; trustProxy?: boolean | string | string[]; requestTimeout?: number; maxParamLength?: number; http?: { maxHeaderSize?: number } };
}

export type Service = FastifyInstance<Server, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>;

/**
 * Creates a Fastify instance with the platform's common behaviour: request ids, structured logs
 * with trace ids, problem+json errors, /healthz and /readyz, and an OpenAPI document at /docs/json.
 * Routes registered on the returned instance are typed from their TypeBox schemas.
 */
export async function createService(options: ServiceOptions): Promise<Service> {
  // Fastify 5 takes router settings under routerOptions; the top-level form is deprecated.
  const { maxParamLength, ...serverOptions } = options.fastify ?? {};
  const app = fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    genReqId: (request) => requestIdFrom(request.headers['x-request-id']),
    childLoggerFactory: requestChildLoggerFactory(),
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    // Fastify's default silently drops properties a schema does not allow; a security API rejects
    // them instead, so a misspelt field is reported rather than ignored.
    ajv: { customOptions: { removeAdditional: false } },
    schemaController: { compilersFactory: { buildValidator: buildValidatorWithStrictBodies() } },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    ...serverOptions,
    ...(maxParamLength === undefined ? {} : { routerOptions: { maxParamLength } }),
  }).withTypeProvider<TypeBoxTypeProvider>();

  installRequestContext(app as unknown as FastifyInstance);
  installProblemHandlers(app as unknown as FastifyInstance);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: options.name, version: options.version ?? '0.1.0', description: options.description },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
    },
  });
  app.get('/docs/json', { schema: { hide: true }, logLevel: 'warn' }, async () => app.swagger());

  installHealthRoutes(app as unknown as FastifyInstance, options.readiness ?? {});
  return app;
}
