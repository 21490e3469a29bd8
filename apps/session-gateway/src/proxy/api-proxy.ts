import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { pipeline } from 'node:stream/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { HttpProblem, type Service } from '@platform/service-kit';
import { loginRequired } from '../auth/responses.ts';
import { clearSessionCookie, sessionFromCookie } from '../auth/session-auth.ts';
import type { GatewayContext } from '../gateway-context.ts';
import { checkCsrf } from '../security/csrf.ts';
import { downstreamResponseHeaders, upstreamRequestHeaders } from './forward-headers.ts';

const Problem = Type.Object({ type: Type.String(), title: Type.String(), status: Type.Integer(), code: Type.String(), detail: Type.Optional(Type.String()) }, { additionalProperties: true });

/**
 * Proxies `/api/*` to the API upstream (NGINX) with the session's access token as a Bearer token.
 * Bodies stream through unparsed in both directions. Must be registered in its own plugin scope,
 * because it replaces the body parsers of that scope.
 */
export function registerApiProxy(app: Service, context: GatewayContext): void {
  const { config } = context;
  const upstream = new URL(config.API_UPSTREAM_URL);
  const secure = upstream.protocol === 'https:';
  const agent = secure ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
  const send = secure ? httpsRequest : httpRequest;
  const timeoutMs = config.API_UPSTREAM_TIMEOUT_SECONDS * 1000;
  app.addHook('onClose', async () => agent.destroy());

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  app.all('/api/*', {
    schema: {
      tags: ['api'],
      summary: 'Proxy to the API with the session access token; 401 with a login URL without a session',
      response: { 401: Problem, 403: Problem, 502: Problem, 503: Problem, 504: Problem },
    },
  }, async (request, reply) => {
    const session = await sessionFromCookie(context, request);
    if (session === undefined) {
      clearSessionCookie(context, request, reply);
      throw loginRequired(config.publicOrigin, 'No active session; log in first.');
    }

    const verdict = checkCsrf(request, config.publicOrigin, session.csrfToken);
    if (!verdict.allowed) {
      request.log.info({ sessionId: session.publicId, reason: verdict.reason, code: 'csrf_rejected' }, 'state-changing request rejected');
      throw new HttpProblem(403, 'csrf_rejected', 'State-changing requests must come from this site: send a same-origin Origin or Referer header, or the X-CSRF-Token header.');
    }

    const fresh = await context.refresher.ensureFresh(session);
    if (!fresh.ok) {
      clearSessionCookie(context, request, reply);
      throw loginRequired(config.publicOrigin, 'The session has ended; log in again.', 'session_ended');
    }
    const accessToken = context.sessions.openToken(fresh.session, 'accessToken');
    if (accessToken === undefined) throw loginRequired(config.publicOrigin, 'The session has no access token; log in again.', 'session_ended');

    const headers = upstreamRequestHeaders(request.headers, {
      accessToken,
      requestId: String(request.id),
      clientIp: request.ip,
      upstreamHost: upstream.host,
      publicOrigin: config.publicOrigin,
    });
    const response = await forward(request, { send, agent, upstream, headers, timeoutMs });
    if (rejectsAccessToken(response)) {
      // The validator rejected the session's own token (revoked or otherwise invalid), so the
      // session cannot reach the API any more. Ending it sends the browser to a fresh login instead
      // of repeating the same refusal until the token would have been refreshed.
      response.resume();
      await context.sessions.delete(fresh.session.locator).catch((error: unknown) => {
        request.log.error({ err: error, sessionId: session.publicId, code: 'session_delete_failed' }, 'session with a rejected token could not be deleted');
      });
      request.log.info({ sessionId: session.publicId, code: 'access_token_rejected' }, 'API rejected the session access token; session ended');
      clearSessionCookie(context, request, reply);
      throw loginRequired(config.publicOrigin, 'The API rejected this session\'s access token; log in again.', 'session_ended');
    }
    return relay(reply, response);
  });
}

interface ForwardOptions {
  send: typeof httpRequest;
  agent: HttpAgent;
  upstream: URL;
  headers: ReturnType<typeof upstreamRequestHeaders>;
  timeoutMs: number;
}

function forward(request: FastifyRequest, options: ForwardOptions): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const outgoing = options.send({
      protocol: options.upstream.protocol,
      hostname: options.upstream.hostname,
      port: options.upstream.port,
      method: request.method,
      // The raw path is sent to the fixed upstream host; it never selects the host.
      path: request.url,
      headers: options.headers,
      agent: options.agent,
    }, resolve);
    outgoing.setTimeout(options.timeoutMs, () => {
      outgoing.destroy(new HttpProblem(504, 'upstream_timeout', `The API did not answer within ${options.timeoutMs} ms.`));
    });
    outgoing.on('error', (error) => {
      if (error instanceof HttpProblem) return reject(error);
      request.log.error({ err: error, code: 'upstream_unavailable' }, 'API upstream request failed');
      reject(new HttpProblem(502, 'upstream_unavailable', 'The API cannot be reached.'));
    });
    pipeline(request.raw, outgoing).catch(() => {
      // The error listener above reports failures of the upstream side. A browser that aborts its
      // upload is gone, so there is no one left to respond to.
    });
  });
}

function relay(reply: FastifyReply, response: IncomingMessage): FastifyReply {
  return reply.code(response.statusCode ?? 502).headers(downstreamResponseHeaders(response.headers)).send(response);
}

/** True for an RFC 6750 refusal of the bearer token itself, as opposed to a missing scope. */
function rejectsAccessToken(response: IncomingMessage): boolean {
  const challenge = response.headers['www-authenticate'];
  return response.statusCode === 401 && typeof challenge === 'string' && /error="invalid_token"/.test(challenge);
}
