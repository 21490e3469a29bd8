import type { FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AuditEvent } from '@platform/audit-schema';
import { HttpProblem, type Service } from '@platform/service-kit';
import { PRODUCER } from '../audit/access-events.ts';
import type { BlacklistEntryType, StoredBlacklistEntry } from '../blacklist/entry.ts';
import type { BlacklistReplica } from '../blacklist/replica.ts';
import type { AuthenticationDependencies } from '../validation/authenticate.ts';
import { requireRevocationPermission } from './admin-auth.ts';
import { AuditNotRecordedError, type RevocationContext, type RevocationService } from './revocation-service.ts';
import { CreateRevocationBody, LiftParams, LiftResult, ListQuery, Problem, Revocation, RevocationList } from './schemas.ts';

export interface AdminRouteDependencies {
  auth: AuthenticationDependencies;
  replica: BlacklistReplica;
  revocations: RevocationService;
  /** Buffers an audit event for the next micro-batch. */
  publish(event: AuditEvent): void;
  retryAfterSeconds: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** True once the handler recorded the request's own audit event. */
    adminAudited: boolean;
  }
}

const TYPE_ORDER: Record<BlacklistEntryType, number> = { jti: 0, user: 1, client: 2 };
const refusals = { 401: Problem, 403: Problem, 503: Problem };

/** Admin API of the blacklist under /api/revocations; every call needs `tokens:revoke` and is audited. */
export async function installAdminRoutes(app: Service, deps: AdminRouteDependencies): Promise<void> {
  await app.register(async (plugin) => {
    const scope = plugin.withTypeProvider<TypeBoxTypeProvider>();
    scope.decorateRequest('adminIdentity', null);
    scope.decorateRequest('adminRefusal', null);
    scope.decorateRequest('adminAudited', false);
    scope.addHook('onRequest', requireRevocationPermission(deps.auth, deps.retryAfterSeconds));
    scope.addHook('onResponse', async (request, reply) => auditAdminCall(deps, request, reply));

    scope.post('/api/revocations', {
      schema: {
        tags: ['revocations'],
        summary: 'Revoke one token, every token of a user, or every token of an M2M client',
        security: [{ bearer: [] }],
        body: CreateRevocationBody,
        response: { 201: Revocation, 400: Problem, ...refusals, 409: Problem },
      },
    }, async (request, reply) => {
      const now = Date.now();
      const { type, id, reason, until } = request.body;
      if (type === 'jti' && until !== undefined) throw new HttpProblem(400, 'until_not_allowed', 'until applies only to user and client revocations.');
      let untilMs: number | null | undefined = until === null ? null : undefined;
      if (typeof until === 'string') {
        untilMs = Date.parse(until);
        if (!Number.isFinite(untilMs) || untilMs <= now) throw new HttpProblem(400, 'until_invalid', 'until must be a date-time in the future.');
      }

      const result = await applyOrFail(request, () => deps.revocations.revoke({
        type,
        id,
        reason,
        revokedAt: now,
        ...(type === 'jti' ? {} : { notBefore: now }),
        ...(untilMs === undefined ? {} : { until: untilMs }),
      }, contextOf(request)));
      if (result.entry === undefined) throw new HttpProblem(409, `revocation_${result.outcome}`, 'The revocation was not applied because a newer lift of this entry exists.');

      // Token iat values are whole seconds. The response is sent only after the second of the cut-off
      // is over, so a token obtained after it has a later iat and passes, while every token issued
      // up to the cut-off is rejected (see the README).
      if (type !== 'jti') await waitForNextSecond(now);
      return reply.code(201).send(toRevocation(result.entry));
    });

    scope.get('/api/revocations', {
      schema: {
        tags: ['revocations'],
        summary: 'List the blacklist entries in effect, by type and id, one page at a time',
        security: [{ bearer: [] }],
        querystring: ListQuery,
        response: { 200: RevocationList, 400: Problem, ...refusals },
      },
    }, async (request) => {
      const { type, limit, cursor } = request.query;
      const after = cursor === undefined ? undefined : decodeCursor(cursor);
      // NOTE: each page sorts every entry of this instance's copy; fine for tens of thousands of
      // entries, not for millions.
      const entries = deps.replica.activeEntries()
        .filter((entry) => type === undefined || entry.type === type)
        .sort(compareEntries)
        .filter((entry) => after === undefined || compareEntries(entry, after) > 0);
      const page = entries.slice(0, limit);
      const last = page.at(-1);
      return {
        items: page.map(toRevocation),
        ...(entries.length > limit && last !== undefined ? { nextCursor: encodeCursor(last) } : {}),
      };
    });

    scope.delete('/api/revocations/:type/:id', {
      schema: {
        tags: ['revocations'],
        summary: 'Lift a blacklist entry',
        security: [{ bearer: [] }],
        params: LiftParams,
        response: { 200: LiftResult, 400: Problem, ...refusals, 404: Problem, 409: Problem },
      },
    }, async (request) => {
      const { type, id } = request.params;
      const outcome = await applyOrFail(request, () => deps.revocations.lift(type, id, Date.now(), contextOf(request)));
      if (outcome === 'absent') throw new HttpProblem(404, 'revocation_not_found', `No ${type} revocation is in effect for this id.`);
      if (outcome === 'newer_revocation') throw new HttpProblem(409, 'revocation_newer', 'A revocation newer than this lift is in effect.');
      return { type, id, lifted: true as const };
    });
  });
}

/** Runs a blacklist change; a refused write or an unrecorded audit event becomes a 503, never a success. */
async function applyOrFail<T>(request: FastifyRequest, change: () => Promise<T>): Promise<T> {
  try {
    const result = await change();
    request.adminAudited = true;
    return result;
  } catch (error) {
    if (error instanceof AuditNotRecordedError) {
      throw new HttpProblem(503, 'audit_unavailable', 'The change is in effect, but its audit event could not be recorded; repeat the call, which is safe.', { headers: { 'retry-after': '1' } });
    }
    request.log.error({ err: error, code: 'blacklist_write_failed' }, 'blacklist write failed');
    throw new HttpProblem(503, 'blacklist_write_failed', 'The blacklist could not be changed, so nothing was revoked or lifted; retry later.', { headers: { 'retry-after': '1' } });
  }
}

function contextOf(request: FastifyRequest): RevocationContext {
  const identity = request.adminIdentity!;
  return { actor: { type: identity.principalType, id: identity.principalId }, requestId: String(request.id), traceId: request.traceId };
}

function auditAdminCall(deps: AdminRouteDependencies, request: FastifyRequest, reply: FastifyReply): void {
  if (request.adminAudited) return;
  const status = reply.statusCode;
  const identity = request.adminIdentity;
  const principal = identity === null ? { type: 'user' as const, id: 'anonymous' } : { type: identity.principalType, id: identity.principalId };
  const route = request.routeOptions.url ?? request.url.split('?')[0]!;
  try {
    deps.publish({
      eventId: crypto.randomUUID(),
      kind: 'admin.action',
      version: 1,
      occurredAt: new Date().toISOString(),
      producer: PRODUCER,
      principal,
      action: `revocations.${request.method.toLowerCase()}`,
      http: { method: request.method, path: request.url.split('?')[0]!.slice(0, 2048), status },
      decision: decisionOf(status),
      ...(request.adminRefusal !== null ? { reason: request.adminRefusal } : status >= 400 ? { reason: `status ${status}` } : {}),
      requestId: String(request.id).slice(0, 128),
      traceId: request.traceId.slice(0, 64),
      context: { operation: `${request.method} ${route}`.slice(0, 128) },
    });
  } catch (error) {
    request.log.error({ err: error, code: 'audit_event_invalid' }, 'admin audit event could not be built');
  }
}

function decisionOf(status: number): 'success' | 'deny' | 'failure' {
  if (status < 400) return 'success';
  if (status === 401 || status === 403) return 'deny';
  return 'failure';
}

function toRevocation(entry: StoredBlacklistEntry) {
  return {
    type: entry.type,
    id: entry.id,
    ...(entry.reason !== undefined ? { reason: entry.reason } : {}),
    revokedAt: new Date(entry.revokedAt).toISOString(),
    ...(entry.notBefore !== undefined ? { notBefore: new Date(entry.notBefore).toISOString() } : {}),
    ...(entry.indefinite ? { until: null } : entry.until !== undefined ? { until: new Date(entry.until).toISOString() } : {}),
    expiresAt: entry.expiresAt === -1 ? null : new Date(entry.expiresAt).toISOString(),
  };
}

function compareEntries(a: Pick<StoredBlacklistEntry, 'type' | 'id'>, b: Pick<StoredBlacklistEntry, 'type' | 'id'>): number {
  const byType = TYPE_ORDER[a.type] - TYPE_ORDER[b.type];
  if (byType !== 0) return byType;
  if (a.id === b.id) return 0;
  return a.id < b.id ? -1 : 1;
}

function encodeCursor(entry: StoredBlacklistEntry): string {
  return Buffer.from(JSON.stringify([entry.type, entry.id]), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): Pick<StoredBlacklistEntry, 'type' | 'id'> {
  try {
    const [type, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown];
    if ((type === 'jti' || type === 'user' || type === 'client') && typeof id === 'string') return { type, id };
  } catch {
    // reported below
  }
  throw new HttpProblem(400, 'cursor_invalid', 'cursor is not a value returned as nextCursor.');
}

function waitForNextSecond(fromMs: number): Promise<void> {
  const delay = (Math.floor(fromMs / 1000) + 1) * 1000 - Date.now();
  return delay > 0 ? new Promise((resolve) => setTimeout(resolve, delay)) : Promise.resolve();
}
