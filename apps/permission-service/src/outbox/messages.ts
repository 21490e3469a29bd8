import { randomUUID } from 'node:crypto';
import { buildAuditEvent, type AuditEventKind, type AuditEventOf } from '@platform/audit-schema';
import { QUEUE_NAMES, jobIdFor, type AuditBatchJob, type SessionRevocationJob, type TokenRevocationJob } from '@platform/queues';
import type { OutboxMessage } from '../database/tables.ts';
import type { Actor } from './actor.ts';

// Builders for the BullMQ messages that outbox rows carry. Every message gets its job id and event
// id when the row is written, so a relay that publishes a row twice produces the same jobs, which
// BullMQ deduplicates, and consumers see the same event ids.

export const PRODUCER = 'permission-service';

function meta(actor: Actor) {
  return {
    eventId: randomUUID(),
    producer: PRODUCER,
    createdAt: Date.now(),
    ...(actor.requestId ? { requestId: actor.requestId } : {}),
  };
}

/** "End every session of this user" for session-gateway; sessions are indexed by the identity provider subject. */
export function sessionRevocationMessage(key: string[], subject: string, reason: string, actor: Actor): OutboxMessage {
  const data: SessionRevocationJob = { meta: meta(actor), userId: subject, reason: reason.slice(0, 512) };
  return { queue: QUEUE_NAMES.sessionRevocations, name: 'revoke-user-sessions', jobId: jobIdFor(...key, 'sessions'), data };
}

/**
 * Blacklist entry for the tokens of a user (by subject, as tokens carry it) for token-validation.
 * Tokens issued at or before `notBefore` are rejected. `until` rejects every token of the user until
 * that time, or until the entry is lifted when null; without `until` only older tokens are rejected.
 */
export function tokenRevocationMessage(key: string[], subject: string, options: { notBefore: Date; until?: Date | null; reason: string }, actor: Actor): OutboxMessage {
  const data: TokenRevocationJob = {
    meta: meta(actor),
    action: 'revoke',
    type: 'user',
    id: subject,
    notBefore: options.notBefore.getTime(),
    ...(options.until === undefined ? {} : { until: options.until === null ? null : options.until.getTime() }),
    reason: options.reason.slice(0, 512),
  };
  return { queue: QUEUE_NAMES.tokenRevocations, name: 'revoke-user-tokens', jobId: jobIdFor(...key, 'tokens'), data };
}

/**
 * Ends a user's suspension in token-validation's blacklist. The cut-off of earlier revocations
 * (including the suspension's own `notBefore`) stays, so tokens issued before stay rejected.
 */
export function tokenLiftMessage(key: string[], subject: string, reason: string, actor: Actor): OutboxMessage {
  const data: TokenRevocationJob = { meta: meta(actor), action: 'lift', scope: 'suspension', type: 'user', id: subject, reason: reason.slice(0, 512) };
  return { queue: QUEUE_NAMES.tokenRevocations, name: 'lift-user-tokens', jobId: jobIdFor(...key, 'tokens-lift'), data };
}

type AuditInput<K extends AuditEventKind> = Omit<AuditEventOf<K>, 'eventId' | 'kind' | 'version' | 'occurredAt' | 'producer' | 'actor' | 'requestId' | 'traceId'>;

/** Builds one audit event, validated against its schema now, as a single-event audit batch. */
export function auditMessage<K extends AuditEventKind>(key: string[], kind: K, occurredAt: Date, input: AuditInput<K>, actor: Actor): OutboxMessage {
  const jobMeta = meta(actor);
  const event = buildAuditEvent(kind, {
    ...input,
    eventId: jobMeta.eventId,
    occurredAt,
    producer: PRODUCER,
    actor: actor.principal,
    ...(actor.requestId ? { requestId: actor.requestId } : {}),
    ...(actor.traceId ? { traceId: actor.traceId } : {}),
  } as Parameters<typeof buildAuditEvent<K>>[1]);
  const data: AuditBatchJob = { meta: jobMeta, events: [event] };
  return { queue: QUEUE_NAMES.auditEvents, name: 'audit-batch', jobId: jobIdFor('audit-batch', jobMeta.eventId), data };
}

/** Delayed job that ends a suspension at its expiry. */
export interface SuspensionExpiryJob {
  suspensionId: string;
  userId: string;
}

export function suspensionExpiryJobId(suspensionId: string): string {
  return jobIdFor('suspension-expiry', suspensionId);
}

export function suspensionExpiryMessage(suspensionId: string, userId: string, expiresAt: Date): OutboxMessage {
  const data: SuspensionExpiryJob = { suspensionId, userId };
  return { queue: QUEUE_NAMES.suspensionExpiry, name: 'end-suspension', jobId: suspensionExpiryJobId(suspensionId), data, runAt: expiresAt.getTime() };
}
