import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_PERMISSIONS, createUser, startInfrastructure, startService, type TestInfrastructure, type TestService } from './support/service.ts';

let infrastructure: TestInfrastructure;
let service: TestService;
let admin: string;

beforeAll(async () => {
  infrastructure = await startInfrastructure();
  service = await startService(infrastructure);
  admin = await infrastructure.clientToken('platform-admin-cli', ALL_PERMISSIONS);
});

afterAll(async () => {
  await service?.close();
  await infrastructure?.close();
});

describe('authentication', () => {
  it('rejects a call without a token with 401 problem+json', async () => {
    const response = await service.call('GET', '/v1/users');
    expect(response.statusCode).toBe(401);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.headers['www-authenticate']).toContain('Bearer');
    expect(response.json().code).toBe('missing_token');
  });

  it('rejects a token from an untrusted signer', async () => {
    const token = `${admin.slice(0, -4)}AAAA`;
    const response = await service.call('GET', '/v1/users', { token });
    expect(response.statusCode).toBe(401);
    expect(response.json().code).toBe('invalid_token');
  });

  it('rejects a caller lacking the permission with 403', async () => {
    const token = await infrastructure.userToken('reader-without-rights', ['users:read']);
    const response = await service.call('POST', '/v1/users/find-or-create', { token, body: { subject: 'x' } });
    expect(response.statusCode).toBe(403);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json()).toMatchObject({ code: 'permission_denied', requiredPermission: 'users:provision' });
  });
});

describe('POST /v1/users/find-or-create', () => {
  it('creates a user once and returns it afterwards', async () => {
    const first = await service.call('POST', '/v1/users/find-or-create', { token: admin, body: { subject: 'auth0|find-me', email: 'find@example.com' } });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ subject: 'auth0|find-me', status: 'active', created: true, email: 'find@example.com' });

    const second = await service.call('POST', '/v1/users/find-or-create', { token: admin, body: { subject: 'auth0|find-me', displayName: 'Find Me' } });
    expect(second.json()).toMatchObject({ id: first.json().id, created: false, displayName: 'Find Me', email: 'find@example.com' });
  });

  it('creates one user for concurrent first logins', async () => {
    const responses = await Promise.all(Array.from({ length: 6 }, () => service.call('POST', '/v1/users/find-or-create', { token: admin, body: { subject: 'concurrent-login' } })));
    const ids = new Set(responses.map((response) => response.json().id));
    expect(responses.every((response) => response.statusCode === 200)).toBe(true);
    expect(ids.size).toBe(1);
    expect(responses.filter((response) => response.json().created).length).toBe(1);
  });

  it('reports a suspended user with its expiry', async () => {
    const id = await createUser(service, admin, 'suspended-at-login');
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    await service.call('POST', `/v1/users/${id}/suspension`, { token: admin, body: { reason: 'test', expiresAt } });
    const response = await service.call('POST', '/v1/users/find-or-create', { token: admin, body: { subject: 'suspended-at-login' } });
    expect(response.json()).toMatchObject({ id, status: 'suspended', suspensionExpiresAt: expiresAt });
  });

  it('returns a deleted user as deleted instead of creating a new one', async () => {
    const id = await createUser(service, admin, 'deleted-at-login');
    expect((await service.call('DELETE', `/v1/users/${id}`, { token: admin })).statusCode).toBe(200);
    const response = await service.call('POST', '/v1/users/find-or-create', { token: admin, body: { subject: 'deleted-at-login' } });
    expect(response.json()).toMatchObject({ id, status: 'deleted', created: false });
  });

  it('stores a subject with quotes and semicolons verbatim', async () => {
    const subject = `o'brien"; drop table users; --`;
    const id = await createUser(service, admin, subject);
    const response = await service.call('GET', `/v1/users/${id}`, { token: admin });
    expect(response.json().subject).toBe(subject);
  });
});

describe('GET /v1/users/:id', () => {
  it('answers 404 for an unknown id', async () => {
    const response = await service.call('GET', '/v1/users/6f1c1c52-0000-4000-8000-000000000000', { token: admin });
    expect(response.statusCode).toBe(404);
    expect(response.json().code).toBe('user_not_found');
  });

  it.each([
    ["quote", "x' or '1'='1"],
    ['semicolon', '1; drop table users'],
    ['percent', '%25'],
  ])('answers 404 for an id with a %s', async (_kind, id) => {
    const response = await service.call('GET', `/v1/users/${encodeURIComponent(id)}`, { token: admin });
    expect(response.statusCode).toBe(404);
    const count = await service.context.db.selectFrom('users').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    expect(Number(count.n)).toBeGreaterThan(0);
  });
});

describe('GET /v1/users', () => {
  it('filters by derived status', async () => {
    const active = await createUser(service, admin, 'list-active');
    const suspended = await createUser(service, admin, 'list-suspended');
    await service.call('POST', `/v1/users/${suspended}/suspension`, { token: admin, body: { reason: 'list test', durationSeconds: 3600 } });

    const onlySuspended = (await service.call('GET', '/v1/users?status=suspended&limit=200', { token: admin })).json().users.map((user: { id: string }) => user.id);
    expect(onlySuspended).toContain(suspended);
    expect(onlySuspended).not.toContain(active);
    const onlyActive = (await service.call('GET', '/v1/users?status=active&limit=200', { token: admin })).json().users.map((user: { id: string }) => user.id);
    expect(onlyActive).toContain(active);
    expect(onlyActive).not.toContain(suspended);
  });

  it('rejects an unknown status with 400', async () => {
    const response = await service.call('GET', "/v1/users?status=active'--", { token: admin });
    expect(response.statusCode).toBe(400);
  });

  it('matches % and _ in the search literally', async () => {
    await createUser(service, admin, 'percent-user', { email: 'fifty%off@example.com' });
    await createUser(service, admin, 'plain-user', { email: 'fiftyXoff@example.com' });
    await createUser(service, admin, 'underscore-user', { email: 'a_b@example.com' });
    await createUser(service, admin, 'no-underscore-user', { email: 'aXb@example.com' });

    const percent = (await service.call('GET', `/v1/users?search=${encodeURIComponent('y%o')}`, { token: admin })).json().users;
    expect(percent.map((user: { subject: string }) => user.subject)).toEqual(['percent-user']);
    const underscore = (await service.call('GET', `/v1/users?search=${encodeURIComponent('a_b')}`, { token: admin })).json().users;
    expect(underscore.map((user: { subject: string }) => user.subject)).toEqual(['underscore-user']);
    const everything = (await service.call('GET', `/v1/users?search=${encodeURIComponent('%')}`, { token: admin })).json().users;
    expect(everything.map((user: { subject: string }) => user.subject)).toEqual(['percent-user']);
  });

  it('treats quotes and semicolons in filters as data', async () => {
    const subject = `o'brien"; drop table users; --`;
    const bySubject = await service.call('GET', `/v1/users?subject=${encodeURIComponent(subject)}`, { token: admin });
    expect(bySubject.statusCode).toBe(200);
    expect(bySubject.json().users.map((user: { subject: string }) => user.subject)).toEqual([subject]);
    const bySearch = await service.call('GET', `/v1/users?search=${encodeURIComponent("'; select pg_sleep(5); --")}`, { token: admin });
    expect(bySearch.statusCode).toBe(200);
    expect(bySearch.json().users).toEqual([]);
  });

  it('pages through every user exactly once', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/v1/users?limit=3${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await service.call('GET', url, { token: admin })).json();
      seen.push(...page.users.map((user: { id: string }) => user.id));
      cursor = page.nextCursor;
    } while (cursor !== null);
    const total = await service.context.db.selectFrom('users').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    expect(seen.length).toBe(Number(total.n));
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('rejects a forged cursor with 400', async () => {
    const cursor = Buffer.from(JSON.stringify({ after: "x'; drop table users; --" })).toString('base64url');
    const response = await service.call('GET', `/v1/users?cursor=${cursor}`, { token: admin });
    expect(response.statusCode).toBe(400);
    expect(response.json().code).toBe('invalid_cursor');
  });
});

describe('DELETE /v1/users/:id and restore', () => {
  it('soft-deletes, refuses a second delete, and restores', async () => {
    const id = await createUser(service, admin, 'delete-restore');
    const deleted = await service.call('DELETE', `/v1/users/${id}`, { token: admin });
    expect(deleted.json()).toMatchObject({ status: 'deleted', deletedBy: 'm2m:platform-admin-cli' });
    expect((await service.call('DELETE', `/v1/users/${id}`, { token: admin })).json().code).toBe('already_deleted');

    const restored = await service.call('POST', `/v1/users/${id}/restore`, { token: admin });
    expect(restored.statusCode).toBe(200);
    expect(restored.json()).toMatchObject({ status: 'active', deletedAt: null });
    expect((await service.call('POST', `/v1/users/${id}/restore`, { token: admin })).json().code).toBe('not_deleted');
  });

  it('refuses to restore over a live user with the same subject', async () => {
    const id = await createUser(service, admin, 'subject-reused');
    await service.call('DELETE', `/v1/users/${id}`, { token: admin });
    await service.context.db.insertInto('users').values({ subject: 'subject-reused' }).execute();
    const response = await service.call('POST', `/v1/users/${id}/restore`, { token: admin });
    expect(response.statusCode).toBe(409);
    expect(response.json().code).toBe('subject_in_use');
  });

  it('writes the session and token revocation for a deleted user to the outbox', async () => {
    const id = await createUser(service, admin, 'delete-fanout');
    await service.call('DELETE', `/v1/users/${id}`, { token: admin });
    const row = await service.context.db.selectFrom('outbox').select(['topic', 'messages']).where('topic', '=', 'user.deleted').orderBy('created_at', 'desc').executeTakeFirstOrThrow();
    const queues = row.messages.map((message) => message.queue);
    expect(queues).toEqual(['session-gateway.revocations', 'token-validation.revocations', 'permission-service.audit-events']);
    expect(row.messages[1]!.data).toMatchObject({ action: 'revoke', type: 'user', id: 'delete-fanout', until: null });
  });
});

describe('callers with a user record', () => {
  it('refuses a suspended caller whatever its token carries', async () => {
    const id = await createUser(service, admin, 'suspended-admin');
    await service.call('POST', `/v1/users/${id}/suspension`, { token: admin, body: { reason: 'compromised', durationSeconds: 600 } });
    const token = await infrastructure.userToken('suspended-admin', ALL_PERMISSIONS);
    const response = await service.call('GET', '/v1/users', { token });
    expect(response.statusCode).toBe(403);
    expect(response.json().code).toBe('caller_suspended');
  });
});

describe('OpenAPI', () => {
  it('documents every user route', async () => {
    const document = (await service.call('GET', '/docs/json')).json();
    for (const path of ['/v1/users/find-or-create', '/v1/users', '/v1/users/{id}', '/v1/users/{id}/restore', '/v1/users/{id}/suspension', '/v1/users/{id}/suspensions', '/v1/roles', '/v1/users/me/permissions']) {
      expect(Object.keys(document.paths)).toContain(path);
    }
  });
});
