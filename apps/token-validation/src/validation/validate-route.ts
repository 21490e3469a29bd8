import { Type } from 'typebox';
import type { Service } from '@platform/service-kit';
import { accessDecisionEvent, type AccessDecisionEvent } from '../audit/access-events.ts';
import { authenticate, type AuthenticationDependencies } from './authenticate.ts';
import type { Identity } from './identity.ts';
import { originalRequest } from './original-request.ts';
import type { RouteRequirement, RouteRules } from './route-rules.ts';
import { insufficientScopeChallenge } from './www-authenticate.ts';

export interface ValidationDependencies extends AuthenticationDependencies {
  rules: RouteRules;
  audit: { publish(event: AccessDecisionEvent): void };
  retryAfterSeconds: number;
}

const Problem = Type.Object({
  type: Type.String(),
  title: Type.String(),
  status: Type.Integer(),
  code: Type.String(),
  detail: Type.Optional(Type.String()),
  requestId: Type.Optional(Type.String()),
});

type Outcome =
  | { status: 200; identity: Identity; requirement: RouteRequirement; method: string; path: string }
  | { status: 401; reason: string; challenge: string; identity?: Identity; method?: string; path?: string }
  | { status: 403; reason: string; challenge: string; identity: Identity; required: readonly string[]; method?: string; path?: string }
  | { status: 503; reason: string; identity?: Identity; method?: string; path?: string };

const DETAILS = {
  401: 'A valid bearer token is required.',
  403: 'The token does not grant this request.',
  503: 'Tokens cannot be checked right now; retry later.',
} as const;

/**
 * GET /auth/validate, called by NGINX `auth_request` for every API request. Responds only with 200 (with
 * identity headers), 401 (missing, malformed, invalid or revoked token), 403 (valid token without
 * what the route requires) and 503 with Retry-After (the blacklist cannot be trusted right now),
 * because `auth_request` turns any other status into an opaque 500.
 */
export function installValidateRoute(app: Service, deps: ValidationDependencies): void {
  app.get('/auth/validate', {
    // Each decision is recorded as an audit event, so the per-request access log is left to warnings.
    logLevel: 'warn',
    schema: {
      tags: ['validation'],
      summary: 'Authorize one API request for NGINX auth_request',
      // Headers are documented here rather than declared as a schema, so no validation runs per request.
      description: 'Reads the bearer token from the Authorization header (Bearer <JWT>) and the request being authorized from X-Original-Method and X-Original-URI, as NGINX sets them.',
      response: {
        200: Type.Unsafe<undefined>({ description: 'Allowed, with an empty body; the identity is in X-User-Id or X-Client-Id, X-Principal-Type, X-Scopes, X-Rate-Tier and X-Request-Id' }),
        401: Problem,
        403: Problem,
        503: Problem,
      },
    },
  }, async (request, reply) => {
    const headers = request.headers;
    const original = originalRequest(headers['x-original-method'] as string | undefined, headers['x-original-uri'] as string | undefined);
    const outcome = await decide(deps, headers.authorization, original).catch((error: unknown): Outcome => {
      // Any status but 200, 401, 403 and 503 would reach NGINX as an opaque 500, so an unexpected
      // failure gets the deliberate "retry later" instead.
      request.log.error({ err: error, code: 'validation_failed' }, 'token validation failed unexpectedly');
      return { status: 503, reason: 'internal_error' };
    });
    const method = original.ok ? original.method : undefined;
    const path = original.ok ? original.path : undefined;

    const realIp = headers['x-real-ip'];
    deps.audit.publish(accessDecisionEvent({
      decision: outcome.status === 200 ? 'allow' : 'deny',
      status: outcome.status,
      reason: outcome.status === 200 ? 'allowed' : outcome.reason,
      identity: outcome.identity,
      method,
      path,
      requestId: request.id,
      traceId: request.traceId,
      clientIp: typeof realIp === 'string' ? realIp : request.ip,
      userAgent: headers['user-agent'],
      requiredScopes: requiredScopesOf(outcome),
    }));

    if (outcome.status === 200) {
      const identity = outcome.identity;
      reply.header(identity.principalType === 'user' ? 'x-user-id' : 'x-client-id', identity.principalId);
      reply.header('x-principal-type', identity.principalType);
      reply.header('x-scopes', identity.scopeHeader);
      reply.header('x-rate-tier', identity.rateTier);
      return reply.code(200).send();
    }
    reply.header('cache-control', 'no-store');
    if (outcome.status === 503) reply.header('retry-after', String(deps.retryAfterSeconds));
    else {
      reply.header('www-authenticate', outcome.challenge);
      // NGINX copies this stable code into the problem body it sends to the client.
      reply.header('x-auth-error', outcome.reason);
    }
    return reply.code(outcome.status).type('application/problem+json').send({
      type: 'about:blank',
      title: outcome.status === 401 ? 'Unauthorized' : outcome.status === 403 ? 'Forbidden' : 'Service Unavailable',
      status: outcome.status,
      code: outcome.reason,
      detail: DETAILS[outcome.status],
      requestId: request.id,
    });
  });
}

async function decide(deps: ValidationDependencies, authorization: string | undefined, original: ReturnType<typeof originalRequest>): Promise<Outcome> {
  const authenticated = await authenticate(deps, authorization);
  if (authenticated.status !== 200) return authenticated;
  const identity = authenticated.identity;

  if (!original.ok) return { status: 403, reason: original.reason, challenge: insufficientScopeChallenge([]), identity, required: [] };
  const requirement = deps.rules.requirementFor(original.method, original.path);
  const where = { method: original.method, path: original.path };
  if (requirement.kind === 'deny') return { status: 403, reason: 'route_denied', challenge: insufficientScopeChallenge([]), identity, required: [], ...where };
  const missing = missingGrants(identity, requirement);
  if (missing.length > 0) return { status: 403, reason: 'insufficient_scope', challenge: insufficientScopeChallenge(requirement.all), identity, required: requirement.all, ...where };
  return { status: 200, identity, requirement, ...where };
}

function requiredScopesOf(outcome: Outcome): readonly string[] | undefined {
  if (outcome.status === 200) return outcome.requirement.kind === 'require' ? outcome.requirement.all : undefined;
  if (outcome.status === 403) return outcome.required;
  return undefined;
}

function missingGrants(identity: Identity, requirement: Extract<RouteRequirement, { kind: 'require' }>): string[] {
  const missing: string[] = [];
  for (const scope of requirement.scopes) if (!identity.scopeSet.has(scope)) missing.push(scope);
  for (const permission of requirement.permissions) if (!identity.granted.has(permission)) missing.push(permission);
  return missing;
}
