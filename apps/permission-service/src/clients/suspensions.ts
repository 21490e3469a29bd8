import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { HttpProblem } from '@platform/service-kit';
import type { Database } from '../database/database.ts';
import type { Actor } from '../outbox/actor.ts';
import { assertNotDeleted, clientAuditMessage, lockClient, recordChange } from './changes.ts';
import { clientBlacklistMessage } from './messages.ts';
import { toSuspensionView, type SuspensionView } from './views.ts';

/**
 * Suspends M2M clients with the same rules as users. A suspension is open-ended or expires, and
 * its status is derived from timestamps, so it ends at the exact second it expires. A new
 * suspension replaces the one in force, and history is kept.
 */
export class ClientSuspensions {
  private readonly db: Kysely<Database>;
  private readonly maxTokenLifetimeSeconds: number;

  constructor(db: Kysely<Database>, maxTokenLifetimeSeconds: number) {
    this.db = db;
    this.maxTokenLifetimeSeconds = maxTokenLifetimeSeconds;
  }

  async suspend(clientId: string, input: { reason: string; expiresAt?: Date }, actor: Actor): Promise<SuspensionView> {
    const suspensionId = randomUUID();
    await this.db.transaction().execute(async (trx) => {
      const client = await lockClient(trx, clientId);
      assertNotDeleted(client);
      const now = (await sql<{ now: Date }>`select now() as now`.execute(trx)).rows[0]!.now;
      if (input.expiresAt !== undefined && input.expiresAt.getTime() <= now.getTime()) {
        throw new HttpProblem(400, 'invalid_suspension_expiry', 'expiresAt must be in the future.');
      }
      if (client.suspensionId !== null) {
        await trx.updateTable('m2m_client_suspensions').set({ ended_at: now, end_reason: 'superseded', ended_by: actor.reference })
          .where('id', '=', client.suspensionId).execute();
      }
      await trx.insertInto('m2m_client_suspensions').values({
        id: suspensionId,
        client_id: clientId,
        suspended_at: now,
        expires_at: input.expiresAt ?? null,
        reason: input.reason,
        suspended_by: actor.reference,
        ended_at: null,
        end_reason: null,
        ended_by: null,
        lift_reason: null,
      }).execute();
      // A disabled client stays fully blocked; its entry only changes when it is enabled.
      const status = client.status === 'disabled' ? 'disabled' : 'suspended';
      await recordChange(trx, 'client.suspended', [
        clientAuditMessage('client.suspended', 'client.suspend', clientId, { clientId, suspensionId, expiresAt: input.expiresAt?.toISOString() ?? null }, now, actor),
        clientBlacklistMessage(clientId, { status, suspensionExpiresAt: input.expiresAt ?? null }, now, this.maxTokenLifetimeSeconds, input.reason, actor),
      ]);
    });
    return this.byId(suspensionId);
  }

  /** Ends the suspension in force; 409 when the client is not suspended. */
  async lift(clientId: string, reason: string | undefined, actor: Actor): Promise<SuspensionView> {
    const suspensionId = await this.db.transaction().execute(async (trx) => {
      const client = await lockClient(trx, clientId);
      assertNotDeleted(client);
      if (client.suspensionId === null) throw new HttpProblem(409, 'client_not_suspended', `The M2M client ${clientId} has no suspension in force.`);
      const now = (await sql<{ now: Date }>`select now() as now`.execute(trx)).rows[0]!.now;
      await trx.updateTable('m2m_client_suspensions')
        .set({ ended_at: now, end_reason: 'lifted', ended_by: actor.reference, lift_reason: reason ?? null })
        .where('id', '=', client.suspensionId).execute();
      const status = client.status === 'disabled' ? 'disabled' : 'active';
      await recordChange(trx, 'client.suspension_lifted', [
        clientAuditMessage('client.suspension_lifted', 'client.lift_suspension', clientId, { clientId, suspensionId: client.suspensionId }, now, actor),
        clientBlacklistMessage(clientId, { status, suspensionExpiresAt: null }, now, this.maxTokenLifetimeSeconds, reason ?? 'suspension lifted', actor),
      ]);
      return client.suspensionId;
    });
    return this.byId(suspensionId);
  }

  /** Lists every suspension of a client, newest first. */
  async history(clientId: string): Promise<SuspensionView[]> {
    const exists = await this.db.selectFrom('m2m_clients').select('id').where('id', '=', clientId).executeTakeFirst();
    if (exists === undefined) throw new HttpProblem(404, 'client_not_found', `No M2M client has the id ${JSON.stringify(clientId)}.`);
    const rows = await this.db.selectFrom('m2m_client_suspensions').selectAll().where('client_id', '=', clientId).orderBy('suspended_at', 'desc').execute();
    return rows.map(toSuspensionView);
  }

  private async byId(suspensionId: string): Promise<SuspensionView> {
    const row = await this.db.selectFrom('m2m_client_suspensions').selectAll().where('id', '=', suspensionId).executeTakeFirstOrThrow();
    return toSuspensionView(row);
  }
}
