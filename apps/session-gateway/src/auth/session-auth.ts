import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpProblem } from '@platform/service-kit';
import type { GatewayContext } from '../gateway-context.ts';
import { locateFromCookie } from '../sessions/session-id.ts';
import type { Session } from '../sessions/session-store.ts';

/**
 * Loads and touches the session named by the request's cookie; undefined when there is none.
 * Raises a 503 problem when the session store cannot be reached, so an outage is not mistaken for a
 * logged-out user.
 */
export async function sessionFromCookie(context: GatewayContext, request: FastifyRequest): Promise<Session | undefined> {
  const locator = locateFromCookie(request.cookies[context.cookies.sessionName]);
  if (locator === undefined) return undefined;
  try {
    return await context.sessions.touch(locator);
  } catch (error) {
    request.log.error({ err: error, code: 'session_store_unavailable' }, 'session could not be loaded');
    throw new HttpProblem(503, 'session_store_unavailable', 'Sessions cannot be read right now; try again shortly.', { headers: { 'retry-after': '5' } });
  }
}

/** Clears the session cookie when the browser sent one, so a dead id is not sent again. */
export function clearSessionCookie(context: GatewayContext, request: FastifyRequest, reply: FastifyReply): void {
  if (request.cookies[context.cookies.sessionName] !== undefined) reply.setCookie(context.cookies.sessionName, '', context.cookies.cleared());
}
