import type { FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayContext } from '../gateway-context.ts';
import { locateFromCookie } from '../sessions/session-id.ts';
import type { Session } from '../sessions/session-store.ts';

/** Loads and touches the session named by the request's cookie; undefined when there is none. */
export async function sessionFromCookie(context: GatewayContext, request: FastifyRequest): Promise<Session | undefined> {
  const locator = locateFromCookie(request.cookies[context.cookies.sessionName]);
  if (locator === undefined) return undefined;
  return context.sessions.touch(locator);
}

/** Clears the session cookie when the browser sent one, so a dead id is not sent again. */
export function clearSessionCookie(context: GatewayContext, request: FastifyRequest, reply: FastifyReply): void {
  if (request.cookies[context.cookies.sessionName] !== undefined) reply.setCookie(context.cookies.sessionName, '', context.cookies.cleared());
}
