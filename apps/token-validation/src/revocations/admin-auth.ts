import type { FastifyReply, FastifyRequest } from 'fastify';
import { PROBLEM_CONTENT_TYPE } from '@platform/service-kit';
import { authenticate, type AuthenticationDependencies } from '../validation/authenticate.ts';
import type { Identity } from '../validation/identity.ts';
import { insufficientScopeChallenge } from '../validation/www-authenticate.ts';

export const REVOCATION_PERMISSION = 'tokens:revoke';

declare module 'fastify' {
  interface FastifyRequest {
    /** Caller of an admin route, set once its bearer token is verified. */
    adminIdentity: Identity | null;
    /** Reason code of an admin request's rejection, for its audit event. */
    adminRefusal: string | null;
  }
}

/**
 * Builds an onRequest hook that lets a request through only with a bearer token that this service
 * verifies itself, that is not revoked, and that grants `tokens:revoke` (in `permissions` or `scope`).
 * A session cookie or a header set by a proxy is never enough.
 */
export function requireRevocationPermission(deps: AuthenticationDependencies, retryAfterSeconds: number) {
  return async function checkAdmin(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const result = await authenticate(deps, request.headers.authorization);
    if (result.status === 503) {
      request.adminRefusal = result.reason;
      await refuse(reply, 503, result.reason, 'Revocations cannot be checked right now; retry later.', { 'retry-after': String(retryAfterSeconds) });
      return;
    }
    if (result.status === 401) {
      request.adminRefusal = result.reason;
      await refuse(reply, 401, result.reason, 'A valid bearer token is required.', { 'www-authenticate': result.challenge });
      return;
    }
    request.adminIdentity = result.identity;
    if (!result.identity.granted.has(REVOCATION_PERMISSION)) {
      request.adminRefusal = 'permission_missing';
      await refuse(reply, 403, 'permission_missing', `The token does not grant the permission ${REVOCATION_PERMISSION}.`, {
        'www-authenticate': insufficientScopeChallenge([REVOCATION_PERMISSION]),
      });
    }
  };
}

function refuse(reply: FastifyReply, status: 401 | 403 | 503, code: string, detail: string, headers: Record<string, string>): FastifyReply {
  const title = status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : 'Service Unavailable';
  return reply.code(status).headers({ ...headers, 'cache-control': 'no-store' }).type(PROBLEM_CONTENT_TYPE).send({
    type: 'about:blank',
    title,
    status,
    code,
    detail,
    requestId: String(reply.request.id),
  });
}
