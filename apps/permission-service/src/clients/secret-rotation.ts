import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { HttpProblem } from '@platform/service-kit';
import type { Database } from '../database/database.ts';
import type { Actor } from '../outbox/actor.ts';
import { assertNotDeleted, clientAuditMessage, lockClient, recordChange } from './changes.ts';
import { generateSecret, hashSecret } from './secrets.ts';

export interface Rotation {
  secretId: string;
  /** Shown once: only its scrypt hash is stored. */
  secret: string;
  previousSecretIds: string[];
  previousSecretsExpireAt: string | null;
  revokedSecretIds: string[];
}

/**
 * Rotates client secrets. A client has at most two valid secrets: the newest, and during a
 * rotation the one before it until its expiry, so callers can switch without downtime. Rotating again while a
 * rotation is under way revokes the oldest secret at once.
 */
export class SecretRotation {
  private readonly db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.db = db;
  }

  /**
   * Adds a new secret. The current secret stays valid for `graceSeconds` (never longer than it
   * would have anyway); 0 revokes it at once.
   */
  async rotate(clientId: string, graceSeconds: number, actor: Actor): Promise<Rotation> {
    const secretId = randomUUID();
    const secret = generateSecret();
    const secretHash = await hashSecret(secret);

    return this.db.transaction().execute(async (trx) => {
      const client = await lockClient(trx, clientId);
      assertNotDeleted(client);
      const now = (await sql<{ now: Date }>`select now() as now`.execute(trx)).rows[0]!.now;
      const valid = await trx.selectFrom('m2m_client_secrets')
        .select(['id', 'expires_at'])
        .where('client_id', '=', clientId)
        .where('revoked_at', 'is', null)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
        .orderBy('created_at', 'desc')
        .execute();

      const [current, ...older] = valid;
      const previousSecretIds: string[] = [];
      const revokedSecretIds = older.map((row) => row.id);
      let previousSecretsExpireAt: Date | null = null;
      if (current !== undefined && graceSeconds > 0) {
        const graceEnd = new Date(now.getTime() + graceSeconds * 1000);
        previousSecretsExpireAt = current.expires_at !== null && current.expires_at < graceEnd ? current.expires_at : graceEnd;
        previousSecretIds.push(current.id);
        await trx.updateTable('m2m_client_secrets').set({ expires_at: previousSecretsExpireAt }).where('id', '=', current.id).execute();
      } else if (current !== undefined) {
        revokedSecretIds.unshift(current.id);
      }
      if (revokedSecretIds.length > 0) {
        await trx.updateTable('m2m_client_secrets').set({ revoked_at: now, revoked_by: actor.reference }).where('id', 'in', revokedSecretIds).execute();
      }
      await trx.insertInto('m2m_client_secrets').values({ id: secretId, client_id: clientId, secret_hash: secretHash, created_at: now, created_by: actor.reference }).execute();

      const expireAt = previousSecretsExpireAt?.toISOString() ?? null;
      await recordChange(trx, 'client.secret_rotated', [
        clientAuditMessage('client.secret_rotated', 'client.rotate_secret', clientId, { clientId, secretId, previousSecretIds, previousSecretsExpireAt: expireAt, revokedSecretIds }, now, actor),
      ]);
      return { secretId, secret, previousSecretIds, previousSecretsExpireAt: expireAt, revokedSecretIds };
    });
  }

  /** Revokes one secret at once, for example to end a rotation early or after a leak. */
  async revoke(clientId: string, secretId: string, actor: Actor): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const client = await lockClient(trx, clientId);
      assertNotDeleted(client);
      const row = await trx.selectFrom('m2m_client_secrets').select(['id', 'revoked_at']).where('id', '=', secretId).where('client_id', '=', clientId).executeTakeFirst();
      if (row === undefined) throw new HttpProblem(404, 'secret_not_found', `The M2M client ${clientId} has no secret ${JSON.stringify(secretId)}.`);
      if (row.revoked_at !== null) throw new HttpProblem(409, 'secret_already_revoked', `The secret ${secretId} is already revoked.`);
      const now = (await sql<{ now: Date }>`select now() as now`.execute(trx)).rows[0]!.now;
      await trx.updateTable('m2m_client_secrets').set({ revoked_at: now, revoked_by: actor.reference }).where('id', '=', secretId).execute();
      await recordChange(trx, 'client.secret_revoked', [
        clientAuditMessage('client.secret_revoked', 'client.revoke_secret', clientId, { clientId, secretId }, now, actor),
      ]);
    });
  }
}
