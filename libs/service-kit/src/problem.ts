import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { describeValidationErrors, FASTIFY_CLIENT_ERROR_CODES, type SchemaError } from './validation-message.ts';

// Errors leave every service as RFC 9457 problem details. `code` is a stable machine-readable
// identifier that clients and log queries can match on; `detail` is for people. Stack traces and
// internal messages of unexpected errors never reach the body.

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  instance?: string;
  requestId?: string;
  [extension: string]: unknown;
}

export class HttpProblem extends Error {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly extensions: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    code: string,
    detail: string,
    options: { title?: string; extensions?: Record<string, unknown>; headers?: Record<string, string> } = {},
  ) {
    super(detail);
    this.name = 'HttpProblem';
    this.status = status;
    this.code = code;
    this.title = options.title ?? defaultTitle(status);
    this.extensions = options.extensions ?? {};
    this.headers = options.headers ?? {};
  }
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

function defaultTitle(status: number): string {
  return TITLES[status] ?? (status >= 500 ? 'Server Error' : 'Client Error');
}

export function problemBody(status: number, code: string, detail: string | undefined, requestId?: string, extensions: Record<string, unknown> = {}): ProblemBody {
  return {
    ...extensions,
    type: 'about:blank',
    title: defaultTitle(status),
    status,
    code,
    ...(detail === undefined ? {} : { detail }),
    ...(requestId === undefined ? {} : { requestId }),
  };
}

export function sendProblem(reply: FastifyReply, problem: HttpProblem): FastifyReply {
  const body = problemBody(problem.status, problem.code, problem.message, String(reply.request.id), problem.extensions);
  body.title = problem.title;
  return reply.code(problem.status).headers(problem.headers).type(PROBLEM_CONTENT_TYPE).send(body);
}

/** Installs the error and not-found handlers that turn every failure into problem+json. */
export function installProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | HttpProblem, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof HttpProblem) {
      if (error.status >= 500) request.log.error({ err: error, code: error.code }, 'request failed');
      return sendProblem(reply, error);
    }
    if (error.validation) {
      const detail = describeValidationErrors(error.validationContext ?? 'request', error.validation as unknown as SchemaError[]);
      return sendProblem(reply, new HttpProblem(400, 'invalid_request', detail));
    }
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status >= 500) {
      request.log.error({ err: error, code: 'internal_error' }, 'unexpected error');
      return sendProblem(reply, new HttpProblem(500, 'internal_error', 'The server failed to process the request; see the server log for this request id.'));
    }
    // Fastify's own client errors (bad JSON, body too large, wrong content type) have safe messages.
    const code = (error.code ? FASTIFY_CLIENT_ERROR_CODES[error.code] : undefined) ?? 'invalid_request';
    return sendProblem(reply, new HttpProblem(status, code, error.message));
  });

  app.setNotFoundHandler((request, reply) => {
    return sendProblem(reply, new HttpProblem(404, 'route_not_found', `No route matches ${request.method} ${request.url.split('?')[0]}.`));
  });
}
