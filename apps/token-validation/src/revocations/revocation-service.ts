import { buildAuditEvent, type AuditEvent } from '@platform/audit-schema';
import type { BlacklistReplica } from '../blacklist/replica.ts';
import type { BlacklistStore, LiftOutcome, LiftScope, RevocationInput, RevocationOutcome } from '../blacklist/store.ts';
import type { StoredBlacklistEntry, BlacklistEntryType } from '../blacklist/entry.ts';
import { PRODUCER } from '../audit/access-events.ts';

export interface Actor {
  type: 'user' | 'm2m' | 'system';
  id: string;
}

export interface RevocationContext {
  actor: Actor;
  requestId?: string;
  traceId?: string;
}

export interface RevocationServiceOptions {
  store: BlacklistStore;
  replica: BlacklistReplica;
  /** Sends audit events durably; rejects when they could not be enqueued. */
  publishNow(events: AuditEvent[]): Promise<void>;
  /** Maximum wait for this instance's own copy to show a change, in ms. */
  applyWaitMs: number;
}

/** The audit event could not be enqueued, although the change is in effect. */
export class AuditNotRecordedError extends Error {
  constructor(cause: unknown) {
    super('the blacklist change is in effect but its audit event could not be enqueued', { cause });
    this.name = 'AuditNotRecordedError';
  }
}

/**
 * Applies revocations and lifts for the admin API and the revocation queue: writes the blacklist,
 * waits until this instance enforces the change, then records the `tokens.revoked` audit event.
 */
export class RevocationService {
  private readonly options: RevocationServiceOptions;

  constructor(options: RevocationServiceOptions) {
    this.options = options;
  }

  async revoke(input: RevocationInput, context: RevocationContext): Promise<{ outcome: RevocationOutcome; entry: StoredBlacklistEntry | undefined }> {
    const result = await this.options.store.revoke(input);
    if (result.streamId !== undefined) await this.options.replica.waitUntilApplied(result.streamId, this.options.applyWaitMs);
    await this.audit(context, input.type, input.id, input.reason, {
      ...(typeof input.until === 'number' ? { until: new Date(input.until).toISOString() } : {}),
      ...(input.until === null ? { until: 'indefinite' } : {}),
    }, result.outcome === 'applied' ? 'success' : 'failure', result.outcome === 'applied' ? undefined : result.outcome);
    return { outcome: result.outcome, entry: result.entry };
  }

  async lift(type: BlacklistEntryType, id: string, liftedAt: number, context: RevocationContext, reason?: string, scope: LiftScope = 'all'): Promise<LiftOutcome> {
    const result = await this.options.store.lift(type, id, liftedAt, Date.now(), scope);
    if (result.streamId !== undefined) await this.options.replica.waitUntilApplied(result.streamId, this.options.applyWaitMs);
    await this.audit(context, type, id, reason, { lifted: true }, result.outcome === 'lifted' ? 'success' : 'failure', result.outcome === 'lifted' ? undefined : result.outcome);
    return result.outcome;
  }

  private async audit(
    context: RevocationContext,
    type: BlacklistEntryType,
    id: string,
    reason: string | undefined,
    extra: { until?: string; lifted?: boolean },
    decision: 'success' | 'failure',
    failure: string | undefined,
  ): Promise<void> {
    const event = buildAuditEvent('tokens.revoked', {
      producer: PRODUCER,
      principal: context.actor,
      actor: context.actor,
      action: extra.lifted ? 'tokens.revocation_lifted' : 'tokens.revoke',
      resource: { type: `${type}`, id: id.slice(0, 256) },
      decision,
      ...(failure !== undefined || reason !== undefined ? { reason: (failure ?? reason ?? '').slice(0, 512) } : {}),
      ...(context.requestId !== undefined ? { requestId: context.requestId.slice(0, 128) } : {}),
      ...(context.traceId !== undefined ? { traceId: context.traceId.slice(0, 64) } : {}),
      context: { revocationType: type, targetId: id.slice(0, 256), ...extra },
    });
    try {
      await this.options.publishNow([event as AuditEvent]);
    } catch (error) {
      throw new AuditNotRecordedError(error);
    }
  }
}
