import { randomUUID } from 'node:crypto';
import { QUEUE_NAMES, jobIdFor, type TokenRevocationJob } from '@platform/queues';
import type { OutboxMessage } from '../database/tables.ts';
import type { Actor } from '../outbox/actor.ts';
import { PRODUCER } from '../outbox/messages.ts';
import type { ClientStatus } from './status.ts';

export interface BlacklistState {
  status: ClientStatus;
  /** Expiry of the suspension in force; null for an open-ended one or when not suspended. */
  suspensionExpiresAt: Date | null;
}

/**
 * Builds the token-validation blacklist entry for a client after a change at `now`. Every change rejects
 * the tokens issued up to `now`. A client that is not active also has every later token rejected,
 * until its suspension expires or, when disabled or deleted, until a later change replaces the
 * entry. An active client's entry expires once the last token it covers has expired.
 *
 * Lifting a suspension or enabling a client therefore never makes older tokens valid again.
 */
export function clientBlacklistMessage(clientId: string, state: BlacklistState, now: Date, maxTokenLifetimeSeconds: number, reason: string, actor: Actor): OutboxMessage {
  const eventId = randomUUID();
  const notBefore = now.getTime();
  const lifetimeMs = maxTokenLifetimeSeconds * 1000;
  let timing: Pick<TokenRevocationJob, 'until' | 'expiresAt'>;
  if (state.status === 'active') timing = { expiresAt: notBefore + lifetimeMs };
  else if (state.status === 'suspended' && state.suspensionExpiresAt !== null) {
    timing = { until: state.suspensionExpiresAt.getTime(), expiresAt: state.suspensionExpiresAt.getTime() + lifetimeMs };
  } else timing = { until: null };

  const data: TokenRevocationJob = {
    meta: { eventId, producer: PRODUCER, createdAt: notBefore, ...(actor.requestId ? { requestId: actor.requestId } : {}) },
    action: 'revoke',
    type: 'client',
    id: clientId,
    notBefore,
    ...timing,
    reason: reason.slice(0, 512),
  };
  return { queue: QUEUE_NAMES.tokenRevocations, name: 'revoke-client-tokens', jobId: jobIdFor('revoke-client-tokens', clientId, eventId), data };
}
