import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUE_NAMES } from '@platform/queues';
import { authenticateClient } from '../../src/clients/credentials.ts';
import { recordExpiredSuspensions } from '../../src/clients/expiry.ts';
import { ALL_PERMISSIONS, startInfrastructure, startService, type TestInfrastructure, type TestService } from '../support/service.ts';

let infrastructure: TestInfrastructure;
let service: TestService;
let admin: string;

beforeAll(async () => {
  infrastructure = await startInfrastructure();
  service = await startService(infrastructure);
  admin = await infrastructure.userToken('admin', ALL_PERMISSIONS);
});

afterAll(async () => {
  await service?.close();
  await infrastructure?.close();
});

interface Registration {
  client: { id: string; status: string; secrets: Array<{ id: string; status: string; expiresAt: string | null }> } & Record<string, unknown>;
  secret: { id: string; value: string };
}

async function register(body: Record<string, unknown> = {}): Promise<Registration> {
  const response = await service.call('POST', '/v1/clients', { token: admin, body: { name: 'Partner feed', owner: 'team-payments', allowedScopes: ['transactions:read'], ...body } });
  if (response.statusCode !== 201) throw new Error(`registration failed with ${response.statusCode}: ${response.body}`);
  return response.json<Registration>();
}

async function outboxMessages(clientId: string) {
  const rows = await service.context.db.selectFrom('outbox').select(['topic', 'messages']).orderBy('created_at').execute();
  return rows.filter((row) => JSON.stringify(row.messages).includes(clientId));
}

async function blacklistMessages(clientId: string) {
  return (await outboxMessages(clientId)).flatMap((row) => row.messages).filter((message) => message.queue === QUEUE_NAMES.tokenRevocations).map((message) => message.data as Record<string, unknown>);
}

describe('POST /v1/clients', () => {
  it('generates the id and returns the secret once', async () => {
    const response = await service.call('POST', '/v1/clients', { token: admin, body: { name: 'Nightly export', owner: 'team-data', allowedScopes: ['transactions:read'] } });
    expect(response.statusCode).toBe(201);
    expect(response.headers['cache-control']).toBe('no-store');
    const { client, secret } = response.json<Registration>();
    expect(client.id).toMatch(/^m2m_[0-9a-f]{24}$/);
    expect(secret.value).toMatch(/^pcs_[A-Za-z0-9_-]{43}$/);
    expect(client).toMatchObject({ status: 'active', rateTier: 'standard', tokenLifetimeSeconds: 900, createdBy: 'user:admin' });
    expect(client.secrets).toEqual([expect.objectContaining({ id: secret.id, status: 'active', expiresAt: null })]);

    const fetched = await service.call('GET', `/v1/clients/${client.id}`, { token: admin });
    expect(fetched.statusCode).toBe(200);
    expect(fetched.body).not.toContain(secret.value);
  });

  it('stores only a salted scrypt hash', async () => {
    const first = await register();
    const second = await register();
    const rows = await service.context.db.selectFrom('m2m_client_secrets').select(['id', 'secret_hash']).where('id', 'in', [first.secret.id, second.secret.id]).execute();
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row.secret_hash).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
      expect(row.secret_hash).not.toContain(first.secret.value.slice(4));
      expect(row.secret_hash).not.toContain(second.secret.value.slice(4));
    }
    const salts = rows.map((row) => row.secret_hash.split('$')[4]);
    expect(salts[0]).not.toBe(salts[1]);
  });

  it('audits the registration without the secret', async () => {
    const { client, secret } = await register();
    const [row] = await outboxMessages(client.id);
    expect(row!.topic).toBe('client.registered');
    const audit = row!.messages.find((message) => message.queue === QUEUE_NAMES.auditEvents)!.data as { events: Array<Record<string, unknown>> };
    expect(audit.events[0]).toMatchObject({
      kind: 'client.registered',
      principal: { type: 'm2m', id: client.id },
      actor: { type: 'user', id: 'admin' },
      resource: { type: 'client', id: client.id },
      context: { clientId: client.id, secretId: secret.id, allowedScopes: ['transactions:read'] },
    });
    expect(JSON.stringify(row!.messages)).not.toContain(secret.value);
  });

  it('rejects an unknown rate tier', async () => {
    const response = await service.call('POST', '/v1/clients', { token: admin, body: { name: 'x', owner: 'y', rateTier: 'gold' } });
    expect(response.statusCode).toBe(400);
    expect(response.json().code).toBe('invalid_rate_tier');
  });

  it('rejects a token lifetime above the maximum', async () => {
    const response = await service.call('POST', '/v1/clients', { token: admin, body: { name: 'x', owner: 'y', tokenLifetimeSeconds: 7200 } });
    expect(response.statusCode).toBe(400);
    expect(response.json().code).toBe('invalid_token_lifetime');
  });

  it('grants platform permissions only if held', async () => {
    const manager = await infrastructure.userToken('client-manager', ['clients:manage']);
    const refused = await service.call('POST', '/v1/clients', { token: manager, body: { name: 'x', owner: 'y', allowedScopes: ['transactions:read', 'users:suspend'] } });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ code: 'scope_not_held', missingPermissions: ['users:suspend'] });
    const allowed = await service.call('POST', '/v1/clients', { token: manager, body: { name: 'x', owner: 'y', allowedScopes: ['transactions:read', 'clients:manage'] } });
    expect(allowed.statusCode).toBe(201);
  });
});

describe('client credentials', () => {
  it('accept the secret and reject others', async () => {
    const { client, secret } = await register();
    expect(await authenticateClient(service.context.db, client.id, secret.value)).toMatchObject({ id: client.id, allowedScopes: ['transactions:read'], secretId: secret.id });
    expect(await authenticateClient(service.context.db, client.id, `${secret.value}x`)).toBeUndefined();
    expect(await authenticateClient(service.context.db, 'm2m_unknown', secret.value)).toBeUndefined();
  });

  it('keep two secrets valid during rotation', async () => {
    const { client, secret: first } = await register();
    const rotated = await service.call('POST', `/v1/clients/${client.id}/secrets`, { token: admin, body: { previousSecretGraceSeconds: 3600 } });
    expect(rotated.statusCode).toBe(201);
    expect(rotated.headers['cache-control']).toBe('no-store');
    const second = rotated.json<{ secretId: string; secret: string; previousSecretIds: string[]; previousSecretsExpireAt: string; revokedSecretIds: string[] }>();
    expect(second.previousSecretIds).toEqual([first.id]);
    expect(second.revokedSecretIds).toEqual([]);
    expect(Date.parse(second.previousSecretsExpireAt) - Date.now()).toBeGreaterThan(3000 * 1000);

    expect((await authenticateClient(service.context.db, client.id, first.value))?.secretId).toBe(first.id);
    expect((await authenticateClient(service.context.db, client.id, second.secret))?.secretId).toBe(second.secretId);

    // A third secret while the rotation runs: the first is revoked, the second enters its grace period.
    const third = (await service.call('POST', `/v1/clients/${client.id}/secrets`, { token: admin, body: {} })).json<{ secret: string; previousSecretIds: string[]; revokedSecretIds: string[] }>();
    expect(third.previousSecretIds).toEqual([second.secretId]);
    expect(third.revokedSecretIds).toEqual([first.id]);
    expect(await authenticateClient(service.context.db, client.id, first.value)).toBeUndefined();
    expect(await authenticateClient(service.context.db, client.id, second.secret)).toBeDefined();
    expect(await authenticateClient(service.context.db, client.id, third.secret)).toBeDefined();

    const view = (await service.call('GET', `/v1/clients/${client.id}`, { token: admin })).json<Registration['client']>();
    expect(view.secrets.map((item) => item.status)).toEqual(['active', 'active', 'revoked']);
  });

  it('stop accepting the old secret after its expiry', async () => {
    const { client, secret: first } = await register();
    const second = (await service.call('POST', `/v1/clients/${client.id}/secrets`, { token: admin, body: { previousSecretGraceSeconds: 60 } })).json<{ secret: string }>();
    // Move the grace period into the past instead of waiting for it.
    await sql`UPDATE m2m_client_secrets SET expires_at = now() - interval '1 second' WHERE id = ${first.id}`.execute(service.context.db);
    expect(await authenticateClient(service.context.db, client.id, first.value)).toBeUndefined();
    expect(await authenticateClient(service.context.db, client.id, second.secret)).toBeDefined();
    const view = (await service.call('GET', `/v1/clients/${client.id}`, { token: admin })).json<Registration['client']>();
    expect(view.secrets.map((item) => item.status)).toEqual(['active', 'expired']);
  });

  it('revoke the old secret at once with no grace', async () => {
    const { client, secret } = await register();
    const rotated = (await service.call('POST', `/v1/clients/${client.id}/secrets`, { token: admin, body: { previousSecretGraceSeconds: 0 } })).json<{ revokedSecretIds: string[] }>();
    expect(rotated.revokedSecretIds).toEqual([secret.id]);
    expect(await authenticateClient(service.context.db, client.id, secret.value)).toBeUndefined();
  });

  it('audit a rotation by secret id only', async () => {
    const { client, secret } = await register();
    const rotated = (await service.call('POST', `/v1/clients/${client.id}/secrets`, { token: admin, body: {} })).json<{ secretId: string; secret: string }>();
    const rows = await outboxMessages(client.id);
    const rotation = rows.find((row) => row.topic === 'client.secret_rotated')!;
    const event = (rotation.messages[0]!.data as { events: Array<{ kind: string; context: Record<string, unknown> }> }).events[0]!;
    expect(event.kind).toBe('client.secret_rotated');
    expect(event.context).toMatchObject({ secretId: rotated.secretId, previousSecretIds: [secret.id] });
    expect(JSON.stringify(rows)).not.toContain(rotated.secret);
  });

  it('revoke one secret on request', async () => {
    const { client, secret } = await register();
    const response = await service.call('DELETE', `/v1/clients/${client.id}/secrets/${secret.id}`, { token: admin });
    expect(response.statusCode).toBe(204);
    expect(await authenticateClient(service.context.db, client.id, secret.value)).toBeUndefined();
    const again = await service.call('DELETE', `/v1/clients/${client.id}/secrets/${secret.id}`, { token: admin });
    expect(again.statusCode).toBe(409);
  });
});

describe('PATCH /v1/clients/:clientId', () => {
  it('audits the changed fields', async () => {
    const { client } = await register();
    const response = await service.call('PATCH', `/v1/clients/${client.id}`, { token: admin, body: { rateTier: 'premium', description: 'feeds the ledger' } });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ rateTier: 'premium', description: 'feeds the ledger' });
    const row = (await outboxMessages(client.id)).find((item) => item.topic === 'client.updated')!;
    const event = (row.messages[0]!.data as { events: Array<{ context: { changes: Record<string, unknown> } }> }).events[0]!;
    expect(event.context.changes).toEqual({ description: { from: '', to: 'feeds the ledger' }, rateTier: { from: 'standard', to: 'premium' } });
    expect(await blacklistMessages(client.id)).toEqual([]);
  });

  it('rejects earlier tokens when scopes narrow', async () => {
    const { client } = await register({ allowedScopes: ['transactions:read', 'accounts:read'] });
    const response = await service.call('PATCH', `/v1/clients/${client.id}`, { token: admin, body: { allowedScopes: ['accounts:read'] } });
    expect(response.statusCode).toBe(200);
    const [entry] = await blacklistMessages(client.id);
    expect(entry).toMatchObject({ action: 'revoke', type: 'client', id: client.id, notBefore: expect.any(Number), expiresAt: expect.any(Number) });
    expect(entry!['until']).toBeUndefined();
  });
});

describe('suspension of a client', () => {
  it('blocks the client and its tokens until lifted', async () => {
    const { client, secret } = await register();
    const suspended = await service.call('POST', `/v1/clients/${client.id}/suspension`, { token: admin, body: { reason: 'leaked secret' } });
    expect(suspended.statusCode).toBe(201);
    const body = suspended.json<{ client: Registration['client']; suspension: { id: string; expiresAt: null; suspendedBy: string } }>();
    expect(body.client.status).toBe('suspended');
    expect(body.suspension).toMatchObject({ expiresAt: null, suspendedBy: 'user:admin' });
    expect(await authenticateClient(service.context.db, client.id, secret.value)).toBeUndefined();

    const [entry] = await blacklistMessages(client.id);
    expect(entry).toMatchObject({ action: 'revoke', type: 'client', id: client.id, until: null });

    // The registry's standing refuses the client's own calls, whatever its token carries.
    const clientToken = await infrastructure.clientToken(client.id, ['audit:read']);
    const refused = await service.call('GET', `/v1/audit/dead-letters`, { token: clientToken });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().code).toBe('caller_suspended');

    const lifted = await service.call('DELETE', `/v1/clients/${client.id}/suspension`, { token: admin });
    expect(lifted.statusCode).toBe(200);
    expect(lifted.json()).toMatchObject({ client: { status: 'active' }, suspension: { endReason: 'lifted', endedBy: 'user:admin' } });
    expect(await authenticateClient(service.context.db, client.id, secret.value)).toBeDefined();
    const entries = await blacklistMessages(client.id);
    // Lifting rejects tokens issued before now until they expire, and never lifts the entry.
    expect(entries[1]).toMatchObject({ action: 'revoke', notBefore: expect.any(Number), expiresAt: expect.any(Number) });
    expect(entries[1]!['until']).toBeUndefined();
  });

  it('ends by itself at its expiry', async () => {
    const { client } = await register();
    const suspended = await service.call('POST', `/v1/clients/${client.id}/suspension`, { token: admin, body: { reason: 'rate abuse', durationSeconds: 600 } });
    const { suspension } = suspended.json<{ suspension: { id: string; expiresAt: string } }>();
    const [entry] = await blacklistMessages(client.id);
    expect(entry!['until']).toBe(Date.parse(suspension.expiresAt));

    await sql`UPDATE m2m_client_suspensions SET suspended_at = now() - interval '2 hours', expires_at = now() - interval '1 second' WHERE id = ${suspension.id}`.execute(service.context.db);
    const view = (await service.call('GET', `/v1/clients/${client.id}`, { token: admin })).json();
    expect(view).toMatchObject({ status: 'active', suspension: null });
  });

  it('records its expiry once in the audit trail', async () => {
    // Expiries left by earlier tests are recorded first, so the counts below are this test's own.
    await recordExpiredSuspensions(service.context.db);
    const { client } = await register();
    const { suspension } = (await service.call('POST', `/v1/clients/${client.id}/suspension`, { token: admin, body: { reason: 'cool-down', durationSeconds: 600 } })).json<{ suspension: { id: string } }>();
    expect(await recordExpiredSuspensions(service.context.db)).toBe(0);

    await sql`UPDATE m2m_client_suspensions SET suspended_at = now() - interval '2 hours', expires_at = now() - interval '1 minute' WHERE id = ${suspension.id}`.execute(service.context.db);
    const expiresAt = (await service.context.db.selectFrom('m2m_client_suspensions').select('expires_at').where('id', '=', suspension.id).executeTakeFirstOrThrow()).expires_at!;
    expect(await recordExpiredSuspensions(service.context.db)).toBe(1);
    expect(await recordExpiredSuspensions(service.context.db)).toBe(0);

    const rows = (await outboxMessages(client.id)).filter((row) => row.topic === 'client.suspension_expired');
    expect(rows).toHaveLength(1);
    const event = (rows[0]!.messages[0]!.data as { events: Array<Record<string, unknown>> }).events[0]!;
    expect(event).toMatchObject({
      kind: 'client.suspension_expired',
      principal: { type: 'm2m', id: client.id },
      actor: { type: 'system', id: 'permission-service' },
      context: { clientId: client.id, suspensionId: suspension.id },
      occurredAt: expiresAt.toISOString(),
    });
  });

  it('records no expiry for a lifted suspension', async () => {
    const { client } = await register();
    const { suspension } = (await service.call('POST', `/v1/clients/${client.id}/suspension`, { token: admin, body: { reason: 'short', durationSeconds: 600 } })).json<{ suspension: { id: string } }>();
    await service.call('DELETE', `/v1/clients/${client.id}/suspension`, { token: admin });
    await sql`UPDATE m2m_client_suspensions SET suspended_at = now() - interval '2 hours', expires_at = now() - interval '1 minute', ended_at = now() - interval '90 minutes' WHERE id = ${suspension.id}`.execute(service.context.db);
    await recordExpiredSuspensions(service.context.db);
    expect((await outboxMessages(client.id)).filter((row) => row.topic === 'client.suspension_expired')).toEqual([]);
  });

  it('replaces the suspension in force', async () => {
    const { client } = await register();
    const first = (await service.call('POST', `/v1/clients/${client.id}/suspension`, { token: admin, body: { reason: 'first', durationSeconds: 600 } })).json<{ suspension: { id: string } }>();
    await service.call('POST', `/v1/clients/${client.id}/suspension`, { token: admin, body: { reason: 'second' } });
    const history = (await service.call('GET', `/v1/clients/${client.id}/suspensions`, { token: admin })).json<{ suspensions: Array<{ id: string; reason: string; endReason: string | null }> }>();
    expect(history.suspensions.map((item) => [item.reason, item.endReason])).toEqual([['second', null], ['first', 'superseded']]);
    expect(history.suspensions[1]!.id).toBe(first.suspension.id);
  });

  it('cannot be lifted when none is in force', async () => {
    const { client } = await register();
    const response = await service.call('DELETE', `/v1/clients/${client.id}/suspension`, { token: admin });
    expect(response.statusCode).toBe(409);
    expect(response.json().code).toBe('client_not_suspended');
  });
});

describe('disable, enable and delete', () => {
  it('disable blocks until enabled', async () => {
    const { client, secret } = await register();
    const disabled = await service.call('POST', `/v1/clients/${client.id}/disable`, { token: admin, body: { reason: 'contract ended' } });
    expect(disabled.json()).toMatchObject({ status: 'disabled', disabledBy: 'user:admin' });
    expect(await authenticateClient(service.context.db, client.id, secret.value)).toBeUndefined();
    const enabled = await service.call('POST', `/v1/clients/${client.id}/enable`, { token: admin });
    expect(enabled.json()).toMatchObject({ status: 'active', disabledAt: null });
    expect(await authenticateClient(service.context.db, client.id, secret.value)).toBeDefined();
    expect((await blacklistMessages(client.id)).map((entry) => entry['until'])).toEqual([null, undefined]);
  });

  it('delete is soft and final', async () => {
    const { client, secret } = await register({ owner: 'team-to-delete' });
    const deleted = await service.call('DELETE', `/v1/clients/${client.id}`, { token: admin });
    expect(deleted.statusCode).toBe(200);
    expect(deleted.json()).toMatchObject({ status: 'deleted', deletedBy: 'user:admin' });
    expect(deleted.json<Registration['client']>().secrets.map((item) => item.status)).toEqual(['revoked']);
    expect(await authenticateClient(service.context.db, client.id, secret.value)).toBeUndefined();

    const update = await service.call('PATCH', `/v1/clients/${client.id}`, { token: admin, body: { name: 'revived' } });
    expect(update.statusCode).toBe(409);
    expect(update.json().code).toBe('client_deleted');

    const listed = (await service.call('GET', '/v1/clients?owner=team-to-delete', { token: admin })).json<{ items: unknown[] }>();
    expect(listed.items).toEqual([]);
    const deletedOnes = (await service.call('GET', '/v1/clients?owner=team-to-delete&status=deleted', { token: admin })).json<{ items: Array<{ id: string }> }>();
    expect(deletedOnes.items.map((item) => item.id)).toEqual([client.id]);
  });
});

describe('GET /v1/clients', () => {
  it('pages by registration time', async () => {
    const ids = [];
    for (let index = 0; index < 3; index += 1) ids.push((await register({ owner: 'team-paging' })).client.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/v1/clients?owner=team-paging&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await service.call('GET', url, { token: admin })).json<{ items: Array<{ id: string }>; nextCursor: string | null }>();
      seen.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(seen).toEqual(ids);
  });
});

describe('authorization of client routes', () => {
  const routes: Array<['GET' | 'POST' | 'PATCH' | 'DELETE', string, unknown?]> = [
    ['POST', '/v1/clients', { name: 'x', owner: 'y' }],
    ['GET', '/v1/clients'],
    ['GET', '/v1/clients/m2m_x'],
    ['PATCH', '/v1/clients/m2m_x', { name: 'z' }],
    ['POST', '/v1/clients/m2m_x/disable', { reason: 'r' }],
    ['POST', '/v1/clients/m2m_x/enable'],
    ['DELETE', '/v1/clients/m2m_x'],
    ['POST', '/v1/clients/m2m_x/secrets', {}],
    ['DELETE', '/v1/clients/m2m_x/secrets/5d0c4a52-8d0e-4a5e-9f43-0c3f2f0a4b11'],
    ['POST', '/v1/clients/m2m_x/suspension', { reason: 'r' }],
    ['DELETE', '/v1/clients/m2m_x/suspension'],
    ['GET', '/v1/clients/m2m_x/suspensions'],
  ];

  it.each(routes)('%s %s requires a token', async (method, url, body) => {
    const response = await service.call(method, url, { body });
    expect(response.statusCode).toBe(401);
  });

  it.each(routes)('%s %s requires clients:manage', async (method, url, body) => {
    const token = await infrastructure.userToken('auditor', ['audit:read', 'users:read']);
    const response = await service.call(method, url, { token, body });
    expect(response.statusCode).toBe(403);
    expect(response.json().code).toBe('permission_denied');
  });
});
