import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { HttpProblem, sendProblem, type Service } from '@platform/service-kit';
import { publishAudit, requestAuditEvent, requestAuditFields } from '../audit/request-audit.ts';
import type { GatewayContext } from '../gateway-context.ts';
import { RevocationIncompleteError, type RevocationContext } from '../revocation/revocation-service.ts';
import { PUBLIC_SESSION_ID_PATTERN, locateFromPublicId } from '../sessions/session-id.ts';
import { AdminRefusal, SESSIONS_REVOKE_PERMISSION, authenticateAdmin, type AdminCaller } from './admin-auth.ts';

// Visible ASCII without `"`, `/` and `\`, so identity provider subjects such as `auth0|abc` or
// `urn:example:user:1` pass. Ids are only ever hashed into keys, so `*` or `{` match nothing else.
const USER_ID_PATTERN = '^[!#-.0-\\[\\]-~]{1,256}$';

const UserParams = Type.Object({ userId: Type.String({ minLength: 1, maxLength: 256, pattern: USER_ID_PATTERN, description: 'User id: the subject at the identity provider' }) });
const SessionParams = Type.Object({ sessionId: Type.String({ minLength: 66, maxLength: 66, pattern: PUBLIC_SESSION_ID_PATTERN, description: 'Session id as listed by GET /api/sessions/user/{userId}' }) });
const RevocationBody = Type.Union([
  Type.Object({ reason: Type.Optional(Type.String({ maxLength: 512, description: 'Why the sessions are revoked; stored in the audit trail' })) }, { additionalProperties: false }),
  Type.Null(),
]);
const Problem = Type.Object({ type: Type.String(), title: Type.String(), status: Type.Integer(), code: Type.String(), detail: Type.Optional(Type.String()) }, { additionalProperties: true });
const ErrorResponses = { 400: Problem, 401: Problem, 403: Problem, 503: Problem };

const SessionSummary = Type.Object({
  sessionId: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  lastSeenAt: Type.String({ format: 'date-time' }),
  expiresAt: Type.String({ format: 'date-time' }),
  clientIp: Type.String(),
  userAgent: Type.String(),
});

interface AdminCallState {
  caller?: AdminCaller;
  audited: boolean;
}

/**
 * Session administration under `/api/sessions`: Bearer tokens only, permission `sessions:revoke`,
 * and an audit event for every call, allowed or refused. Registered before the `/api/*` proxy so
 * these paths never reach the API upstream.
 */
export function registerSessionAdminRoutes(app: Service, context: GatewayContext): void {
  const calls = new WeakMap<FastifyRequest, AdminCallState>();
  const security = [{ bearer: [] }];

  app.addHook('onRequest', async (request, reply) => {
    const state: AdminCallState = { audited: false };
    calls.set(request, state);
    try {
      state.caller = await authenticateAdmin(request, context.verifier, SESSIONS_REVOKE_PERMISSION);
    } catch (error) {
      if (!(error instanceof AdminRefusal)) throw error;
      state.audited = true;
      publishAudit(context.audit, request, () => requestAuditEvent('admin.action', request, {
        principal: error.principal,
        action: `${request.method} ${routePattern(request)}`,
        decision: 'deny',
        reason: error.reason,
        context: { operation: 'sessions.admin' },
      }, error.problem.status));
      return sendProblem(reply, error.problem);
    }
  });

  // Calls that fail after authentication (invalid ids, unexpected errors) are audited here.
  app.addHook('onResponse', async (request, reply) => {
    const state = calls.get(request);
    if (state === undefined || state.audited) return;
    publishAudit(context.audit, request, () => requestAuditEvent('admin.action', request, {
      principal: state.caller?.principal ?? { type: 'user', id: 'anonymous' },
      action: `${request.method} ${routePattern(request)}`,
      decision: reply.statusCode < 400 ? 'success' : 'failure',
      reason: `status_${reply.statusCode}`,
      context: { operation: 'sessions.admin' },
    }, reply.statusCode));
  });

  const callerOf = (request: FastifyRequest): AdminCaller => {
    const caller = calls.get(request)?.caller;
    if (caller === undefined) throw new HttpProblem(401, 'missing_token', 'A Bearer token is required.');
    return caller;
  };

  const revocationContext = (request: FastifyRequest, reason: string | undefined): RevocationContext => {
    const fields = requestAuditFields(request);
    return { actor: callerOf(request).principal, reason, requestId: fields.requestId, traceId: fields.traceId, clientIp: fields.clientIp, userAgent: fields.userAgent, http: fields.http };
  };

  app.delete('/api/sessions/user/:userId', {
    schema: {
      tags: ['sessions'],
      summary: 'End every session of a user and revoke the user\'s tokens issued until now',
      security,
      params: UserParams,
      body: RevocationBody,
      response: { 200: Type.Object({ userId: Type.String(), revokedSessions: Type.Integer({ minimum: 0 }) }), ...ErrorResponses },
    },
  }, async (request) => {
    const { userId } = request.params;
    const revokedSessions = await runRevocation(request, () => context.revocations.revokeUser(userId, revocationContext(request, request.body?.reason)));
    markAudited(calls, request);
    return { userId, revokedSessions };
  });

  app.get('/api/sessions/user/:userId', {
    schema: {
      tags: ['sessions'],
      summary: 'List the live sessions of a user (never a token)',
      security,
      params: UserParams,
      response: { 200: Type.Object({ userId: Type.String(), sessions: Type.Array(SessionSummary) }), ...ErrorResponses },
    },
  }, async (request) => {
    const { userId } = request.params;
    const sessions = await context.sessions.listUser(userId);
    const caller = callerOf(request);
    publishAudit(context.audit, request, () => requestAuditEvent('admin.action', request, {
      principal: caller.principal,
      action: 'sessions.list',
      resource: { type: 'user', id: userId },
      decision: 'allow',
      context: { operation: 'sessions.list', details: { sessions: sessions.length } },
    }, 200));
    markAudited(calls, request);
    return {
      userId,
      sessions: sessions.map((session) => ({
        sessionId: session.sessionId,
        createdAt: new Date(session.createdAt).toISOString(),
        lastSeenAt: new Date(session.lastSeenAt).toISOString(),
        expiresAt: new Date(session.expiresAt).toISOString(),
        clientIp: session.clientIp,
        userAgent: session.userAgent,
      })),
    };
  });

  app.delete('/api/sessions/:sessionId', {
    schema: {
      tags: ['sessions'],
      summary: 'End one session and revoke its current access token',
      security,
      params: SessionParams,
      body: RevocationBody,
      response: { 200: Type.Object({ sessionId: Type.String(), userId: Type.Optional(Type.String()), revokedSessions: Type.Integer({ minimum: 0, maximum: 1 }) }), ...ErrorResponses },
    },
  }, async (request) => {
    const { sessionId } = request.params;
    const locator = locateFromPublicId(sessionId);
    if (locator === undefined) throw new HttpProblem(400, 'invalid_session_id', 'The session id is malformed.');
    const result = await runRevocation(request, () => context.revocations.revokeSession(locator, sessionId, revocationContext(request, request.body?.reason)));
    markAudited(calls, request);
    return { sessionId, ...(result.userId === undefined ? {} : { userId: result.userId }), revokedSessions: result.revokedSessions };
  });

  // Everything else under /api/sessions belongs to the gateway too and must not reach the proxy.
  const notFound = async (request: FastifyRequest) => {
    throw new HttpProblem(404, 'route_not_found', `No route matches ${request.method} ${request.url.split('?')[0]}.`);
  };
  app.all('/api/sessions', { schema: { hide: true } }, notFound);
  app.all('/api/sessions/*', { schema: { hide: true } }, notFound);
}

async function runRevocation<T>(request: FastifyRequest, revoke: () => Promise<T>): Promise<T> {
  try {
    return await revoke();
  } catch (error) {
    if (!(error instanceof RevocationIncompleteError)) throw error;
    request.log.error({ err: error.cause, stage: error.stage, revokedSessions: error.revokedSessions, code: 'revocation_incomplete' }, 'revocation incomplete');
    throw new HttpProblem(503, 'revocation_incomplete', incompleteDetail(error), {
      extensions: { stage: error.stage, revokedSessions: error.revokedSessions },
      headers: { 'retry-after': '5' },
    });
  }
}

function incompleteDetail(error: RevocationIncompleteError): string {
  switch (error.stage) {
    case 'token_revocation':
      return 'The revocation is not complete: the token revocation could not be queued, so no session was ended. Retry the request.';
    case 'session_deletion':
      return 'The revocation is not complete: the sessions could not be deleted. Retry the request.';
    case 'audit':
      return `The revocation is not complete: ${error.revokedSessions} session(s) were ended but the audit event could not be queued. Retry the request.`;
  }
}

function markAudited(calls: WeakMap<FastifyRequest, AdminCallState>, request: FastifyRequest): void {
  const state = calls.get(request);
  if (state !== undefined) state.audited = true;
}

function routePattern(request: FastifyRequest): string {
  return (request.routeOptions.url ?? request.url.split('?')[0] ?? '/').slice(0, 100);
}
