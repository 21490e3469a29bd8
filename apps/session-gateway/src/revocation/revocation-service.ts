import { randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import { buildAuditEvent, type AuditEvent, type Principal } from '@platform/audit-schema';
import { currentTraceparent, jobIdFor, type AuditPublisher, type TokenRevocationJob } from '@platform/queues';
import { PRODUCER } from '../audit/request-audit.ts';
import type { SessionLocator } from '../sessions/session-id.ts';
import type { SessionStore } from '../sessions/session-store.ts';
import { TokenDecryptionError } from '../sessions/token-cipher.ts';

export type RevocationStage = 'token_revocation' | 'session_deletion' | 'audit';

/** A revocation stopped part-way; the caller must report failure and may retry. */
export class RevocationIncompleteError extends Error {
  readonly stage: RevocationStage;
  /** Sessions already ended before the failure. */
  readonly revokedSessions: number;

  constructor(stage: RevocationStage, revokedSessions: number, cause: unknown) {
    super(`revocation stopped at ${stage}`, { cause });
    this.name = 'RevocationIncompleteError';
    this.stage = stage;
    this.revokedSessions = revokedSessions;
  }
}

/** Actor, reason and request details of a revocation, for the audit event and the queued job. */
export interface RevocationContext {
  readonly actor: Principal;
  readonly reason?: string | undefined;
  readonly requestId?: string | undefined;
  readonly traceId?: string | undefined;
  readonly clientIp?: string | undefined;
  readonly userAgent?: string | undefined;
  readonly http?: { method: string; path: string } | undefined;
  /** Fixed audit event id, so a retried queue job records one event rather than two. */
  readonly auditEventId?: string | undefined;
}

export interface RevocationServiceOptions {
  readonly sessions: SessionStore;
  readonly tokenRevocations: Queue<TokenRevocationJob>;
  readonly audit: AuditPublisher;
  /** Maximum wait in ms for one enqueue before the revocation is reported incomplete. */
  readonly queueTimeoutMs: number;
  readonly now?: () => number;
}

/**
 * Ends sessions together with their side effects, in a fixed order. The token revocation is enqueued
 * first, so a user whose sessions are gone never keeps working copies of their JWTs. Then the
 * sessions are deleted, and then the audit event is enqueued. A failure at any step raises
 * RevocationIncompleteError. Repeating the call completes what is missing, because the token
 * revocation is sent again with a later cut-off, the deletion finds what is left, and the audit
 * event is written.
 */
export class RevocationService {
  private readonly options: RevocationServiceOptions;
  private readonly now: () => number;

  constructor(options: RevocationServiceOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
  }

  /**
   * Ends every session of a user and, unless `revokeTokens` is false, rejects the user's tokens
   * issued up to now. Callers whose own event already revokes the tokens (a suspension) pass false,
   * so the gateway does not replace that entry with a weaker one.
   */
  async revokeUser(userId: string, context: RevocationContext, options: { revokeTokens?: boolean } = {}): Promise<number> {
    let cutOff: number | undefined;
    if (options.revokeTokens ?? true) {
      cutOff = this.now();
      await this.enqueueTokenRevocation(this.tokenJob(context, cutOff, { type: 'user', id: userId, notBefore: cutOff }), userId);
    }

    let revokedSessions: number;
    try {
      revokedSessions = await this.options.sessions.revokeUser(userId);
    } catch (error) {
      throw new RevocationIncompleteError('session_deletion', 0, error);
    }

    await this.publishAudit(revokedSessions, () => buildAuditEvent('sessions.revoked', {
      ...this.auditFields(context),
      principal: { type: 'user', id: userId },
      action: 'sessions.revoke_user',
      resource: { type: 'user', id: userId },
      decision: 'success',
      context: { targetUserId: userId, revokedSessions },
    }));
    if (cutOff !== undefined) await waitForNextSecond(cutOff, this.now);
    return revokedSessions;
  }

  /**
   * Ends one session and rejects its current access token by `jti` when it has one. Returns the
   * session's user id, or undefined when no such session exists.
   */
  async revokeSession(locator: SessionLocator, publicId: string, context: RevocationContext): Promise<{ userId: string | undefined; revokedSessions: number }> {
    let session;
    try {
      session = await this.options.sessions.read(locator);
    } catch (error) {
      throw new RevocationIncompleteError('session_deletion', 0, error);
    }
    if (session === undefined) {
      await this.publishAudit(0, () => buildAuditEvent('admin.action', {
        ...this.auditFields(context),
        principal: context.actor,
        action: 'sessions.revoke_session',
        resource: { type: 'session', id: publicId },
        decision: 'success',
        context: { operation: 'sessions.revoke_session', details: { sessionFound: false } },
      }));
      return { userId: undefined, revokedSessions: 0 };
    }

    const token = accessTokenIdentity(() => this.options.sessions.openToken(session, 'accessToken'));
    if (token !== undefined) {
      const now = this.now();
      await this.enqueueTokenRevocation(this.tokenJob(context, now, { type: 'jti', id: token.jti, ...(token.exp === undefined ? {} : { expiresAt: token.exp * 1000 }) }), token.jti);
    }

    let revokedSessions: number;
    try {
      revokedSessions = (await this.options.sessions.delete(locator)) ? 1 : 0;
    } catch (error) {
      throw new RevocationIncompleteError('session_deletion', 0, error);
    }

    await this.publishAudit(revokedSessions, () => buildAuditEvent('sessions.revoked', {
      ...this.auditFields(context),
      principal: { type: 'user', id: session.userId },
      action: 'sessions.revoke_session',
      resource: { type: 'session', id: publicId },
      decision: 'success',
      context: { targetUserId: session.userId, revokedSessions, sessionId: publicId },
    }));
    return { userId: session.userId, revokedSessions };
  }

  private tokenJob(context: RevocationContext, now: number, target: Pick<TokenRevocationJob, 'type' | 'id' | 'notBefore' | 'expiresAt'>): TokenRevocationJob {
    const traceparent = currentTraceparent();
    return {
      meta: {
        eventId: randomUUID(),
        producer: PRODUCER,
        createdAt: now,
        ...(context.requestId === undefined ? {} : { requestId: context.requestId.slice(0, 128) }),
        ...(traceparent === undefined ? {} : { traceparent }),
      },
      action: 'revoke',
      ...target,
      ...(context.reason === undefined ? {} : { reason: context.reason }),
    };
  }

  private async enqueueTokenRevocation(job: TokenRevocationJob, target: string): Promise<void> {
    // The job id comes from a fresh event id: every request is a new job, so a revocation after an
    // earlier one completed is never dropped as a duplicate. Hashing keeps `:` out of the id.
    const jobId = jobIdFor('token-revocation', job.type, target, job.meta.eventId);
    try {
      await withTimeout(this.options.tokenRevocations.add(`revoke-${job.type}-tokens`, job, { jobId }), this.options.queueTimeoutMs);
    } catch (error) {
      throw new RevocationIncompleteError('token_revocation', 0, error);
    }
  }

  // NOTE: when this step fails after sessions were deleted, a retry records an event with the count
  // it found (often 0); the first count survives only in the error log and the 503 response.
  private async publishAudit(revokedSessions: number, build: () => AuditEvent): Promise<void> {
    try {
      await withTimeout(this.options.audit.publishNow([build()]), this.options.queueTimeoutMs);
    } catch (error) {
      throw new RevocationIncompleteError('audit', revokedSessions, error);
    }
  }

  private auditFields(context: RevocationContext) {
    return {
      producer: PRODUCER,
      actor: context.actor,
      ...(context.auditEventId === undefined ? {} : { eventId: context.auditEventId }),
      ...(context.reason === undefined ? {} : { reason: context.reason }),
      ...(context.requestId === undefined ? {} : { requestId: context.requestId.slice(0, 128) }),
      ...(context.traceId === undefined ? {} : { traceId: context.traceId.slice(0, 64) }),
      ...(context.clientIp === undefined ? {} : { clientIp: context.clientIp.slice(0, 64) }),
      ...(context.userAgent === undefined ? {} : { userAgent: context.userAgent.slice(0, 512) }),
      ...(context.http === undefined ? {} : { http: context.http }),
    };
  }
}

/** Reads `jti` and `exp` from a stored access token; undefined when it is unreadable or has no `jti`. */
function accessTokenIdentity(open: () => string | undefined): { jti: string; exp: number | undefined } | undefined {
  let token: string | undefined;
  try {
    token = open();
  } catch (error) {
    if (error instanceof TokenDecryptionError) return undefined;
    throw error;
  }
  const payload = token?.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    // The token came from the provider's token endpoint and was stored encrypted, so its claims are
    // read without verifying the signature again.
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { jti?: unknown; exp?: unknown };
    if (typeof claims.jti !== 'string' || claims.jti === '' || claims.jti.length > 256) return undefined;
    return { jti: claims.jti, exp: typeof claims.exp === 'number' ? claims.exp : undefined };
  } catch {
    return undefined;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`enqueue timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Waits until the second that contains `cutOff` is over. Token `iat` has whole-second precision and
 * token-validation rejects every token issued in the cut-off's second, so a caller that logs the
 * user in again after this returns gets a token that passes.
 */
async function waitForNextSecond(cutOff: number, now: () => number): Promise<void> {
  const remainingMs = (Math.floor(cutOff / 1000) + 1) * 1000 - now();
  if (remainingMs > 0) await new Promise((resolve) => setTimeout(resolve, remainingMs));
}
