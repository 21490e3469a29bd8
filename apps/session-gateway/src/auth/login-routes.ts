import * as client from 'openid-client';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { HttpProblem, type Service } from '@platform/service-kit';
import { publishAudit, requestAuditEvent } from '../audit/request-audit.ts';
import type { GatewayContext } from '../gateway-context.ts';
import { locateFromCookie } from '../sessions/session-id.ts';
import { UserLookupError } from '../users/permission-service-client.ts';
import { GrantRejectedError, type LoginIdentity } from './oidc-client.ts';
import { bindingHashOf, bindingMatches } from './pending-login.ts';
import { sendLoginPage } from './responses.ts';
import { safeReturnPath } from './return-path.ts';

const LOGIN_BINDING_PATTERN = /^[A-Za-z0-9_-]{43}$/;
export const PENDING_LOGIN_SECONDS = 600;

const LoginQuery = Type.Object({
  returnTo: Type.Optional(Type.String({ maxLength: 8192, description: 'Same-origin path to return to after login; anything else becomes /.' })),
});

const CallbackQuery = Type.Object({
  state: Type.Optional(Type.String({ maxLength: 512 })),
  code: Type.Optional(Type.String({ maxLength: 4096 })),
  error: Type.Optional(Type.String({ maxLength: 256 })),
  error_description: Type.Optional(Type.String({ maxLength: 2048 })),
  iss: Type.Optional(Type.String({ maxLength: 2048 })),
}, { additionalProperties: true });

const Problem = Type.Object({ type: Type.String(), title: Type.String(), status: Type.Integer(), code: Type.String(), detail: Type.Optional(Type.String()) }, { additionalProperties: true });

/** `/auth/login` starts an authorization code login with PKCE; `/auth/callback` finishes it. */
export function registerLoginRoutes(app: Service, context: GatewayContext): void {
  const { config, cookies } = context;

  app.get('/auth/login', {
    schema: {
      tags: ['auth'],
      summary: 'Start a login at the identity provider (authorization code with PKCE, state and nonce)',
      querystring: LoginQuery,
      response: { 302: Type.Null({ description: 'Redirect to the identity provider' }), 503: Problem },
    },
  }, async (request, reply) => {
    const returnTo = safeReturnPath(request.query.returnTo, config.publicOrigin);
    const presented = request.cookies[cookies.loginBindingName];
    // One binding per browser, reused across tabs, so two logins started in parallel both finish.
    const binding = presented !== undefined && LOGIN_BINDING_PATTERN.test(presented) ? presented : client.randomState();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const codeVerifier = client.randomPKCECodeVerifier();

    let authorizationUrl: URL;
    try {
      authorizationUrl = await context.oidc.authorizationUrl({ state, nonce, codeChallenge: await client.calculatePKCECodeChallenge(codeVerifier) });
    } catch (error) {
      request.log.error({ err: error, code: 'identity_provider_unavailable' }, 'identity provider discovery failed');
      throw new HttpProblem(503, 'identity_provider_unavailable', 'The identity provider cannot be reached; try again shortly.');
    }
    try {
      await context.pendingLogins.save(state, { nonce, codeVerifier, returnTo, bindingHash: bindingHashOf(binding), createdAt: context.now() });
    } catch (error) {
      request.log.error({ err: error, code: 'session_store_unavailable' }, 'pending login could not be stored');
      throw new HttpProblem(503, 'session_store_unavailable', 'Logins cannot be started right now; try again shortly.', { headers: { 'retry-after': '5' } });
    }

    reply.setCookie(cookies.loginBindingName, binding, cookies.loginBinding(PENDING_LOGIN_SECONDS));
    reply.header('cache-control', 'no-store');
    return reply.redirect(authorizationUrl.href, 302);
  });

  app.get('/auth/callback', {
    schema: {
      tags: ['auth'],
      summary: 'Finish a login: check state and browser binding, exchange the code, create the session',
      querystring: CallbackQuery,
      response: { 303: Type.Null({ description: 'Redirect to the return path with the session cookie set' }), 400: Problem, 403: Problem, 502: Problem, 503: Problem },
    },
  }, async (request, reply) => {
    const refuse = (status: number, code: string, stage: string, heading: string, detail: string, subject?: string) => {
      publishAudit(context.audit, request, () => requestAuditEvent('auth.login_refused', request, {
        principal: { type: 'user', id: subject ?? 'anonymous' },
        action: 'login',
        decision: 'deny',
        reason: code,
        context: { stage },
      }, status));
      return sendLoginPage(request, reply.header('cache-control', 'no-store'), new HttpProblem(status, code, detail), heading, config.publicOrigin);
    };

    // Every check on `state` happens before anything is sent to the identity provider.
    const state = request.query.state;
    if (state === undefined || state === '') {
      return refuse(400, 'login_state_missing', 'state', 'Login failed', 'The login response has no state. Start the login again.');
    }
    const pending = await context.pendingLogins.take(state);
    if (pending === undefined) {
      return refuse(400, 'login_state_invalid', 'state', 'Login failed', 'The login has expired, was already used, or was not started here. Start the login again.');
    }
    if (!bindingMatches(request.cookies[cookies.loginBindingName], pending.bindingHash)) {
      return refuse(400, 'login_state_foreign', 'state', 'Login failed', 'The login was started in another browser. Start the login again in this browser.');
    }
    if (request.query.error !== undefined) {
      return refuse(400, 'login_denied', 'authorization', 'Login failed', 'The identity provider did not complete the login. Start the login again.');
    }

    let identity: LoginIdentity;
    let tokens;
    try {
      const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
      ({ identity, tokens } = await context.oidc.exchangeCode(query, { state, nonce: pending.nonce, codeVerifier: pending.codeVerifier }));
    } catch (error) {
      if (isProtocolError(error)) {
        request.log.warn({ err: error, code: 'login_exchange_rejected' }, 'authorization code exchange was rejected');
        return refuse(400, 'login_failed', 'code_exchange', 'Login failed', 'The login could not be completed. Start the login again.');
      }
      request.log.error({ err: error, code: 'identity_provider_unavailable' }, 'authorization code exchange failed');
      return refuse(502, 'identity_provider_unavailable', 'code_exchange', 'Login unavailable', 'The identity provider cannot be reached; try again shortly.');
    }

    const refusal = await checkUserStatus(context, request, identity);
    if (refusal !== undefined) return refuse(refusal.status, refusal.code, 'account_status', refusal.heading, refusal.detail, identity.subject);

    // A new session id at every login: the session this browser had before (or a planted id) ends here.
    const previous = locateFromCookie(request.cookies[cookies.sessionName]);
    if (previous !== undefined) await context.sessions.delete(previous);

    const { session, cookieValue } = await context.sessions.create({
      userId: identity.subject,
      clientIp: request.ip,
      userAgent: request.headers['user-agent'] ?? '',
      name: identity.name,
      email: identity.email,
      tokens,
    });
    publishAudit(context.audit, request, () => requestAuditEvent('auth.login', request, {
      principal: { type: 'user', id: identity.subject },
      action: 'login',
      decision: 'success',
      resource: { type: 'session', id: session.publicId },
      context: { sessionCreated: true },
    }, 303));

    reply.setCookie(cookies.sessionName, cookieValue, cookies.session(config.SESSION_ABSOLUTE_LIFETIME_SECONDS));
    reply.setCookie(cookies.loginBindingName, '', cookies.cleared());
    reply.header('cache-control', 'no-store');
    return reply.redirect(safeReturnPath(pending.returnTo, config.publicOrigin), 303);
  });
}

interface StatusRefusal {
  status: number;
  code: string;
  heading: string;
  detail: string;
}

/** Asks the permission service whether the user may log in; undefined means yes. */
async function checkUserStatus(context: GatewayContext, request: FastifyRequest, identity: LoginIdentity): Promise<StatusRefusal | undefined> {
  if (context.users === undefined) return undefined;
  try {
    const user = await context.users.findOrCreate({ subject: identity.subject, email: identity.email, displayName: identity.name }, String(request.id));
    if (user.status === 'suspended') {
      const until = user.suspensionExpiresAt === undefined ? 'until further notice' : `until ${user.suspensionExpiresAt}`;
      return { status: 403, code: 'account_suspended', heading: 'Account suspended', detail: `This account is suspended ${until}. Contact your administrator.` };
    }
    if (user.status === 'deleted') {
      return { status: 403, code: 'account_deleted', heading: 'Account closed', detail: 'This account has been closed. Contact your administrator.' };
    }
    return undefined;
  } catch (error) {
    const code = error instanceof UserLookupError ? 'user_lookup_failed' : 'user_lookup_error';
    request.log.error({ err: error, code }, 'user status could not be checked at login');
    return { status: 503, code: 'user_lookup_failed', heading: 'Login unavailable', detail: 'Your account could not be checked right now; try again shortly.' };
  }
}

function isProtocolError(error: unknown): boolean {
  return error instanceof GrantRejectedError
    || error instanceof client.ResponseBodyError
    || error instanceof client.AuthorizationResponseError
    || (error instanceof Error && error.name === 'OperationProcessingError');
}

