import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { HttpProblem } from '@platform/service-kit';
import type { Authenticator } from './authenticator.ts';
import type { Caller } from './caller.ts';

declare module 'fastify' {
  interface FastifyInstance {
    authenticator: Authenticator;
  }
  interface FastifyRequest {
    caller: Caller | undefined;
  }
}

/** Makes `requirePermission` usable in every route plugin registered after this call. */
export function installAuthentication(app: FastifyInstance, authenticator: Authenticator): void {
  app.decorate('authenticator', authenticator);
  app.decorateRequest('caller', undefined);
}

/**
 * Route preHandler: authenticates the bearer token (401 when missing or invalid) and requires
 * `permission` from the token or from the caller's roles (403 otherwise). The caller is then
 * available as `request.caller`.
 */
export function requirePermission(permission: string): preHandlerAsyncHookHandler {
  return async function checkPermission(this: FastifyInstance, request) {
    const caller = await request.server.authenticator.authenticate(request);
    request.caller = caller;
    if (!caller.permissions.has(permission)) {
      request.log.info({ code: 'permission_denied', permission, principal: caller.principal }, 'caller lacks the required permission');
      throw new HttpProblem(403, 'permission_denied', `This call requires the permission ${permission}.`, { extensions: { requiredPermission: permission } });
    }
  };
}

/** Route preHandler for calls any authenticated, non-blocked caller may make (such as reading its own permissions). */
export function requireAuthentication(): preHandlerAsyncHookHandler {
  return async function checkAuthentication(this: FastifyInstance, request) {
    request.caller = await request.server.authenticator.authenticate(request);
  };
}

/** Returns the caller set by a guard; a route without a guard that calls this is a programming error. */
export function callerOf(request: FastifyRequest): Caller {
  if (request.caller === undefined) throw new Error('route has no authentication guard');
  return request.caller;
}
