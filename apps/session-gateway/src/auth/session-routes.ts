import { Type } from 'typebox';
import { HttpProblem, type Service } from '@platform/service-kit';
import { publishAudit, requestAuditEvent } from '../audit/request-audit.ts';
import type { GatewayContext } from '../gateway-context.ts';
import { checkCsrf } from '../security/csrf.ts';
import { loginRequired } from './responses.ts';
import { safeReturnPath } from './return-path.ts';
import { clearSessionCookie, sessionFromCookie } from './session-auth.ts';

const Problem = Type.Object({ type: Type.String(), title: Type.String(), status: Type.Integer(), code: Type.String(), detail: Type.Optional(Type.String()) }, { additionalProperties: true });

const Me = Type.Object({
  userId: Type.String({ description: 'Subject of the user at the identity provider' }),
  name: Type.Optional(Type.String()),
  email: Type.Optional(Type.String()),
  sessionExpiresAt: Type.String({ format: 'date-time', description: 'When the session ends unless it is used again (idle expiry), capped by its absolute lifetime' }),
  csrfToken: Type.String({ description: 'Send as X-CSRF-Token on state-changing requests that carry neither Origin nor Referer' }),
});

const ReturnTo = Type.Object({
  returnTo: Type.Optional(Type.String({ maxLength: 8192, description: 'Same-origin path to return to after logout when the provider has no end-session endpoint' })),
});

const LogoutResult = Type.Object({
  loggedOut: Type.Boolean(),
  redirectTo: Type.String({ description: 'Where the browser goes next: the provider end-session URL or the return path' }),
});

/** `/auth/me` and `/auth/logout`. */
export function registerSessionRoutes(app: Service, context: GatewayContext): void {
  const { config } = context;

  app.get('/auth/me', {
    schema: {
      tags: ['auth'],
      summary: 'The logged-in user of this session (never a token)',
      response: { 200: Me, 401: Problem, 503: Problem },
    },
  }, async (request, reply) => {
    const session = await sessionFromCookie(context, request);
    if (session === undefined) {
      clearSessionCookie(context, request, reply);
      throw loginRequired(config.publicOrigin, 'No active session; log in first.');
    }
    reply.header('cache-control', 'no-store');
    return {
      userId: session.userId,
      ...(session.name === undefined ? {} : { name: session.name }),
      ...(session.email === undefined ? {} : { email: session.email }),
      sessionExpiresAt: new Date(Math.min(session.absoluteExpiresAt, session.lastSeenAt + config.SESSION_IDLE_TIMEOUT_SECONDS * 1000)).toISOString(),
      csrfToken: session.csrfToken,
    };
  });

  // HTML forms post logout as application/x-www-form-urlencoded.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 16 * 1024 }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))));
  });

  app.post('/auth/logout', {
    schema: {
      tags: ['auth'],
      summary: 'End this session, then continue to the provider end-session endpoint when it has one',
      querystring: ReturnTo,
      body: Type.Union([ReturnTo, Type.Null()]),
      response: { 200: LogoutResult, 303: Type.Null({ description: 'Redirect to the provider end-session endpoint or the return path' }), 403: Problem, 503: Problem },
    },
  }, async (request, reply) => {
    const session = await sessionFromCookie(context, request);
    if (session !== undefined) {
      const verdict = checkCsrf(request, config.publicOrigin, session.csrfToken);
      if (!verdict.allowed) throw new HttpProblem(403, 'csrf_rejected', 'Logout must come from this site: send a same-origin Origin or Referer header, or the X-CSRF-Token header.');
      await context.sessions.delete(session.locator);
      publishAudit(context.audit, request, () => requestAuditEvent('auth.logout', request, {
        principal: { type: 'user', id: session.userId },
        action: 'logout',
        decision: 'success',
        resource: { type: 'session', id: session.publicId },
        context: {},
      }, 303));
    }
    clearSessionCookie(context, request, reply);
    reply.header('cache-control', 'no-store');

    const returnTo = safeReturnPath(request.body?.returnTo ?? request.query.returnTo, config.publicOrigin);
    let redirectTo = returnTo;
    if (session !== undefined) {
      try {
        redirectTo = (await context.oidc.endSessionUrl())?.href ?? returnTo;
      } catch (error) {
        // The local session is already gone; only the provider's own session outlives this logout.
        request.log.warn({ err: error, code: 'end_session_unavailable' }, 'provider end-session URL unavailable');
      }
    }
    if ((request.headers.accept ?? '').includes('application/json')) return { loggedOut: session !== undefined, redirectTo };
    return reply.redirect(redirectTo, 303);
  });
}
