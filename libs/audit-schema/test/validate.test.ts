import { describe, expect, it } from 'vitest';
import { auditEventToInsertRow, auditEventToRow, buildAuditEvent, validateAuditEvent } from '../src/index.ts';

const login = () => buildAuditEvent('auth.login', {
  producer: 'session-gateway',
  principal: { type: 'user', id: 'auth0|abc' },
  action: 'login',
  decision: 'success',
  context: { sessionCreated: true },
});

describe('validateAuditEvent', () => {
  it('accepts a built login event', () => {
    const result = validateAuditEvent(login());
    expect(result.valid).toBe(true);
  });

  it('rejects an unknown kind', () => {
    const result = validateAuditEvent({ ...login(), kind: 'auth.unknown' });
    expect(result).toEqual({ valid: false, reason: 'unknown audit event kind "auth.unknown"' });
  });

  it('rejects a non-object', () => {
    expect(validateAuditEvent([1, 2]).valid).toBe(false);
    expect(validateAuditEvent(null).valid).toBe(false);
  });

  it('rejects extra fields and names the path', () => {
    const result = validateAuditEvent({ ...login(), context: { sessionCreated: true, token: 'x' } });
    expect(result.valid).toBe(false);
    if (!result.valid) expect(result.reason).toContain('auth.login event is invalid');
  });

  it('rejects a bad principal type', () => {
    const result = validateAuditEvent({ ...login(), principal: { type: 'robot', id: 'x' } });
    expect(result.valid).toBe(false);
  });

  it('rejects a malformed event id', () => {
    expect(validateAuditEvent({ ...login(), eventId: 'not-a-uuid' }).valid).toBe(false);
  });
});

describe('buildAuditEvent', () => {
  it('throws on an invalid event', () => {
    expect(() => buildAuditEvent('access.decision', {
      producer: 'token-validation',
      principal: { type: 'user', id: '' },
      action: 'GET',
      decision: 'allow',
      context: {},
    })).toThrow(/invalid audit event/);
  });

  it('maps an event to a table row', () => {
    const event = buildAuditEvent('access.decision', {
      producer: 'token-validation',
      principal: { type: 'm2m', id: 'client-1' },
      action: 'api.access',
      resource: { type: 'transactions', id: '42' },
      http: { method: 'GET', path: '/api/transactions/42', status: 200 },
      decision: 'allow',
      scopes: ['transactions:read'],
      context: {},
    });
    const row = auditEventToRow(event);
    expect(row.principal_type).toBe('m2m');
    expect(row.resource_id).toBe('42');
    expect(row.http_status).toBe(200);
    expect(row.occurred_at).toBeInstanceOf(Date);
  });

  it('keeps the ISO timestamp for inserts', () => {
    const event = { ...login(), occurredAt: '2026-12-04T10:00:00.123456Z' };
    const row = auditEventToInsertRow(event);
    expect(row.occurred_at).toBe('2026-12-04T10:00:00.123456Z');
    expect(row.principal_id).toBe('auth0|abc');
  });
});
