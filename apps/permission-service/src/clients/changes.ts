import type { Transaction } from 'kysely';
import { HttpProblem } from '@platform/service-kit';
import type { AuditEventKind, AuditEventOf } from '@platform/audit-schema';
import type { Database } from '../database/database.ts';
import type { OutboxMessage } from '../database/tables.ts';
import type { Actor } from '../outbox/actor.ts';
import { auditMessage } from '../outbox/messages.ts';
import { writeOutbox } from '../outbox/write.ts';
import { clientStatusSql, suspensionInForceSql, type ClientStatus } from './status.ts';

// Building blocks every registry change shares: lock the client row, describe the change as an
// audit event, and store the resulting BullMQ messages in the outbox of the same transaction.
// The change, its audit event and its blacklist entry therefore commit together or not at all.

export interface LockedClient {
  id: string;
  status: ClientStatus;
  suspensionId: string | null;
  suspensionExpiresAt: Date | null;
  allowedScopes: string[];
  tokenLifetimeSeconds: number;
}

/**
 * Locks a client row for the rest of the transaction and returns its state; 404 when no client
 * has the id. Changes to one client are serialised by this lock.
 */
export async function lockClient(trx: Transaction<Database>, clientId: string): Promise<LockedClient> {
  const row = await trx.selectFrom('m2m_clients').select(['id', 'allowed_scopes', 'token_lifetime_seconds']).where('id', '=', clientId).forUpdate().executeTakeFirst();
  if (row === undefined) throw new HttpProblem(404, 'client_not_found', `No M2M client has the id ${JSON.stringify(clientId)}.`);
  const state = await trx.selectFrom('m2m_clients').select(clientStatusSql().as('status')).where('id', '=', clientId).executeTakeFirstOrThrow();
  const suspension = await trx.selectFrom('m2m_client_suspensions')
    .select(['id', 'expires_at'])
    .where('client_id', '=', clientId)
    .where(suspensionInForceSql())
    .orderBy('suspended_at', 'desc')
    .executeTakeFirst();
  return {
    id: row.id,
    status: state.status,
    suspensionId: suspension?.id ?? null,
    suspensionExpiresAt: suspension?.expires_at ?? null,
    allowedScopes: row.allowed_scopes,
    tokenLifetimeSeconds: row.token_lifetime_seconds,
  };
}

/** Rejects changes to a deleted client: deletion is final. */
export function assertNotDeleted(client: LockedClient): void {
  if (client.status === 'deleted') throw new HttpProblem(409, 'client_deleted', `The M2M client ${client.id} is deleted and cannot change.`);
}

type ClientContext<K extends AuditEventKind> = AuditEventOf<K>['context'];

/** Builds the audit event of a registry change, with the client as principal and the caller as actor. */
export function clientAuditMessage<K extends AuditEventKind>(kind: K, action: string, clientId: string, context: ClientContext<K>, occurredAt: Date, actor: Actor): OutboxMessage {
  return auditMessage([kind, clientId], kind, occurredAt, {
    principal: { type: 'm2m', id: clientId },
    action,
    resource: { type: 'client', id: clientId },
    decision: 'success',
    context,
  } as Parameters<typeof auditMessage<K>>[3], actor);
}

/** Stores the messages of a change in the outbox of its transaction. */
export async function recordChange(trx: Transaction<Database>, topic: string, messages: OutboxMessage[]): Promise<void> {
  await writeOutbox(trx, topic, messages);
}
