import { randomBytes, randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { HttpProblem } from '@platform/service-kit';
import type { Database } from '../database/database.ts';
import type { Actor } from '../outbox/actor.ts';
import { assertNotDeleted, clientAuditMessage, lockClient, recordChange } from './changes.ts';
import { clientBlacklistMessage } from './messages.ts';
import { generateSecret, hashSecret } from './secrets.ts';
import { clientStatusSql, type ClientStatus } from './status.ts';
import { loadClientViews, type ClientView } from './views.ts';

export interface RegistrySettings {
  rateTiers: readonly string[];
  defaultTokenLifetimeSeconds: number;
  maxTokenLifetimeSeconds: number;
}

export interface ClientProfile {
  name: string;
  owner: string;
  description: string;
  allowedScopes: string[];
  rateTier: string;
  tokenLifetimeSeconds: number;
}

export interface Registration {
  client: ClientView;
  /** Shown once: only its scrypt hash is stored. */
  secret: { id: string; value: string };
}

/** Platform permissions the caller holds, for the rule that a caller grants only scopes it holds. */
export type HeldPermissions = ReadonlySet<string>;

const PROFILE_COLUMNS: Record<keyof ClientProfile, string> = {
  name: 'name',
  owner: 'owner',
  description: 'description',
  allowedScopes: 'allowed_scopes',
  rateTier: 'rate_tier',
  tokenLifetimeSeconds: 'token_lifetime_seconds',
};

export function newClientId(): string {
  return `m2m_${randomBytes(12).toString('hex')}`;
}

/** Registration, profile changes, disabling and deletion of M2M clients. */
export class ClientRegistry {
  private readonly db: Kysely<Database>;
  private readonly settings: RegistrySettings;

  constructor(db: Kysely<Database>, settings: RegistrySettings) {
    this.db = db;
    this.settings = settings;
  }

  async get(clientId: string): Promise<ClientView> {
    const [view] = await loadClientViews(this.db, [clientId]);
    if (view === undefined) throw new HttpProblem(404, 'client_not_found', `No M2M client has the id ${JSON.stringify(clientId)}.`);
    return view;
  }

  /** Lists clients by creation time with keyset pages; deleted clients only when asked for by status. */
  async list(options: { status?: ClientStatus; owner?: string; limit: number; after?: { createdAt: string; id: string } }): Promise<{ items: ClientView[]; next: { createdAt: string; id: string } | null }> {
    let query = this.db.selectFrom('m2m_clients')
      .select(['id', sql<string>`to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('created_key')])
      .orderBy('created_at')
      .orderBy('id')
      .limit(options.limit + 1);
    query = options.status === undefined ? query.where('deleted_at', 'is', null) : query.where(clientStatusSql(), '=', options.status);
    if (options.owner !== undefined) query = query.where('owner', '=', options.owner);
    if (options.after !== undefined) {
      const after = options.after;
      query = query.where(sql<boolean>`(created_at, id) > (${after.createdAt}::timestamptz, ${after.id})`);
    }
    const rows = await query.execute();
    const page = rows.slice(0, options.limit);
    const last = page.at(-1);
    return {
      items: await loadClientViews(this.db, page.map((row) => row.id)),
      next: rows.length > options.limit && last !== undefined ? { createdAt: last.created_key, id: last.id } : null,
    };
  }

  /** Registers a client with a generated id and secret, and returns the secret once. */
  async register(input: Partial<ClientProfile> & { name: string; owner: string }, held: HeldPermissions, actor: Actor): Promise<Registration> {
    const profile: ClientProfile = {
      name: input.name,
      owner: input.owner,
      description: input.description ?? '',
      allowedScopes: uniqueSorted(input.allowedScopes ?? []),
      rateTier: input.rateTier ?? this.settings.rateTiers[0]!,
      tokenLifetimeSeconds: input.tokenLifetimeSeconds ?? this.settings.defaultTokenLifetimeSeconds,
    };
    this.checkProfile(profile);
    await this.checkScopesHeld(profile.allowedScopes, held);

    const clientId = newClientId();
    const secretId = randomUUID();
    const secret = generateSecret();
    const secretHash = await hashSecret(secret);

    await this.db.transaction().execute(async (trx) => {
      const now = (await sql<{ now: Date }>`select now() as now`.execute(trx)).rows[0]!.now;
      await trx.insertInto('m2m_clients').values({
        id: clientId,
        name: profile.name,
        owner: profile.owner,
        description: profile.description,
        allowed_scopes: profile.allowedScopes,
        rate_tier: profile.rateTier,
        token_lifetime_seconds: profile.tokenLifetimeSeconds,
        created_at: now,
        created_by: actor.reference,
        updated_at: now,
      }).execute();
      await trx.insertInto('m2m_client_secrets').values({ id: secretId, client_id: clientId, secret_hash: secretHash, created_at: now, created_by: actor.reference }).execute();
      await recordChange(trx, 'client.registered', [
        clientAuditMessage('client.registered', 'client.register', clientId, {
          clientId,
          name: profile.name,
          owner: profile.owner,
          allowedScopes: profile.allowedScopes,
          rateTier: profile.rateTier,
          tokenLifetimeSeconds: profile.tokenLifetimeSeconds,
          secretId,
        }, now, actor),
      ]);
    });
    return { client: await this.get(clientId), secret: { id: secretId, value: secret } };
  }

  /**
   * Changes a client's profile. Narrowing its scopes also rejects the tokens issued so far, so the
   * narrower scopes hold at once instead of when those tokens expire.
   */
  async update(clientId: string, patch: Partial<ClientProfile>, held: HeldPermissions, actor: Actor): Promise<ClientView> {
    if (patch.allowedScopes !== undefined) patch = { ...patch, allowedScopes: uniqueSorted(patch.allowedScopes) };
    await this.db.transaction().execute(async (trx) => {
      const client = await lockClient(trx, clientId);
      assertNotDeleted(client);
      const current = await trx.selectFrom('m2m_clients').selectAll().where('id', '=', clientId).executeTakeFirstOrThrow();
      const before: ClientProfile = {
        name: current.name,
        owner: current.owner,
        description: current.description,
        allowedScopes: current.allowed_scopes,
        rateTier: current.rate_tier,
        tokenLifetimeSeconds: current.token_lifetime_seconds,
      };
      const after: ClientProfile = { ...before, ...definedOnly(patch) };
      this.checkProfile(after);
      const added = after.allowedScopes.filter((scope) => !before.allowedScopes.includes(scope));
      await this.checkScopesHeld(added, held);

      const changes: Record<string, { from: unknown; to: unknown }> = {};
      for (const field of Object.keys(PROFILE_COLUMNS) as (keyof ClientProfile)[]) {
        if (JSON.stringify(before[field]) !== JSON.stringify(after[field])) changes[field] = { from: before[field], to: after[field] };
      }
      if (Object.keys(changes).length === 0) return;

      const now = (await sql<{ now: Date }>`select now() as now`.execute(trx)).rows[0]!.now;
      await trx.updateTable('m2m_clients').set({
        name: after.name,
        owner: after.owner,
        description: after.description,
        allowed_scopes: after.allowedScopes,
        rate_tier: after.rateTier,
        token_lifetime_seconds: after.tokenLifetimeSeconds,
        updated_at: now,
      }).where('id', '=', clientId).execute();

      const messages = [clientAuditMessage('client.updated', 'client.update', clientId, { clientId, changes }, now, actor)];
      const narrowed = before.allowedScopes.some((scope) => !after.allowedScopes.includes(scope));
      if (narrowed) {
        messages.push(clientBlacklistMessage(clientId, { status: client.status, suspensionExpiresAt: client.suspensionExpiresAt }, now, this.settings.maxTokenLifetimeSeconds, 'allowed scopes narrowed', actor));
      }
      await recordChange(trx, 'client.updated', messages);
    });
    return this.get(clientId);
  }

  /** Disables a client until it is enabled again; its tokens are rejected from now on. */
  async disable(clientId: string, reason: string, actor: Actor): Promise<ClientView> {
    await this.db.transaction().execute(async (trx) => {
      const client = await lockClient(trx, clientId);
      assertNotDeleted(client);
      if (client.status === 'disabled') return;
      const now = (await sql<{ now: Date }>`select now() as now`.execute(trx)).rows[0]!.now;
      await trx.updateTable('m2m_clients').set({ disabled_at: now, disabled_by: actor.reference, updated_at: now }).where('id', '=', clientId).execute();
      await recordChange(trx, 'client.disabled', [
        clientAuditMessage('client.disabled', 'client.disable', clientId, { clientId }, now, actor),
        clientBlacklistMessage(clientId, { status: 'disabled', suspensionExpiresAt: null }, now, this.settings.maxTokenLifetimeSeconds, reason, actor),
      ]);
    });
    return this.get(clientId);
  }

  /** Enables a disabled client. Tokens issued before now stay rejected; new ones pass unless suspended. */
  async enable(clientId: string, actor: Actor): Promise<ClientView> {
    await this.db.transaction().execute(async (trx) => {
      const client = await lockClient(trx, clientId);
      assertNotDeleted(client);
      if (client.status !== 'disabled') return;
      const now = (await sql<{ now: Date }>`select now() as now`.execute(trx)).rows[0]!.now;
      await trx.updateTable('m2m_clients').set({ disabled_at: null, disabled_by: null, updated_at: now }).where('id', '=', clientId).execute();
      const after = await lockClient(trx, clientId);
      await recordChange(trx, 'client.enabled', [
        clientAuditMessage('client.enabled', 'client.enable', clientId, { clientId }, now, actor),
        clientBlacklistMessage(clientId, { status: after.status, suspensionExpiresAt: after.suspensionExpiresAt }, now, this.settings.maxTokenLifetimeSeconds, 'client enabled', actor),
      ]);
    });
    return this.get(clientId);
  }

  /** Soft-deletes a client: its secrets are revoked and its tokens rejected for good. */
  async delete(clientId: string, actor: Actor): Promise<ClientView> {
    await this.db.transaction().execute(async (trx) => {
      const client = await lockClient(trx, clientId);
      if (client.status === 'deleted') return;
      const now = (await sql<{ now: Date }>`select now() as now`.execute(trx)).rows[0]!.now;
      await trx.updateTable('m2m_clients').set({ deleted_at: now, deleted_by: actor.reference, updated_at: now }).where('id', '=', clientId).execute();
      await trx.updateTable('m2m_client_secrets').set({ revoked_at: now, revoked_by: actor.reference })
        .where('client_id', '=', clientId).where('revoked_at', 'is', null).execute();
      await recordChange(trx, 'client.deleted', [
        clientAuditMessage('client.deleted', 'client.delete', clientId, { clientId }, now, actor),
        clientBlacklistMessage(clientId, { status: 'deleted', suspensionExpiresAt: null }, now, this.settings.maxTokenLifetimeSeconds, 'client deleted', actor),
      ]);
    });
    return this.get(clientId);
  }

  private checkProfile(profile: ClientProfile): void {
    if (!this.settings.rateTiers.includes(profile.rateTier)) {
      throw new HttpProblem(400, 'invalid_rate_tier', `Rate tier ${JSON.stringify(profile.rateTier)} is unknown; use one of ${this.settings.rateTiers.join(', ')}.`);
    }
    if (profile.tokenLifetimeSeconds > this.settings.maxTokenLifetimeSeconds) {
      throw new HttpProblem(400, 'invalid_token_lifetime', `tokenLifetimeSeconds may be at most ${this.settings.maxTokenLifetimeSeconds}.`);
    }
  }

  /**
   * Rejects scopes that name platform permissions (such as users:suspend) the caller lacks, so
   * that clients:manage cannot be used to create clients stronger than the caller.
   */
  private async checkScopesHeld(scopes: string[], held: HeldPermissions): Promise<void> {
    if (scopes.length === 0) return;
    const platform = await this.db.selectFrom('permissions').select('name').where('name', 'in', scopes).execute();
    const missing = platform.map((row) => row.name).filter((name) => !held.has(name));
    if (missing.length > 0) {
      throw new HttpProblem(403, 'scope_not_held', `Granting ${missing.join(', ')} to a client requires holding ${missing.length === 1 ? 'that permission' : 'those permissions'} yourself.`, { extensions: { missingPermissions: missing } });
    }
  }
}

function uniqueSorted(values: string[]): string[] {
  return [...new Set(values)].sort();
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as Partial<T>;
}
