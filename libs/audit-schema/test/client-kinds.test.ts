import { describe, expect, it } from 'vitest';
import { AUDIT_EVENT_SCHEMAS, buildAuditEvent, validateAuditEvent } from '../src/index.ts';

const common = {
  producer: 'permission-service',
  principal: { type: 'm2m' as const, id: 'cli_abc' },
  actor: { type: 'user' as const, id: 'admin' },
  resource: { type: 'client', id: 'cli_abc' },
  decision: 'success' as const,
};

describe('client registry kinds', () => {
  it('are all registered', () => {
    const kinds = Object.keys(AUDIT_EVENT_SCHEMAS).filter((kind) => kind.startsWith('client.'));
    expect(kinds.sort()).toEqual([
      'client.deleted',
      'client.disabled',
      'client.enabled',
      'client.registered',
      'client.secret_revoked',
      'client.secret_rotated',
      'client.suspended',
      'client.suspension_expired',
      'client.suspension_lifted',
      'client.updated',
    ]);
  });

  it('accepts a registration', () => {
    const event = buildAuditEvent('client.registered', {
      ...common,
      action: 'client.register',
      context: { clientId: 'cli_abc', name: 'Partner', owner: 'team-a', allowedScopes: ['transactions:read'], rateTier: 'standard', tokenLifetimeSeconds: 300, secretId: 's1' },
    });
    expect(validateAuditEvent(event).valid).toBe(true);
  });

  it('rejects a secret in a registration context', () => {
    const event = buildAuditEvent('client.registered', {
      ...common,
      action: 'client.register',
      context: { clientId: 'cli_abc', name: 'Partner', owner: 'team-a', allowedScopes: [], rateTier: 'standard', tokenLifetimeSeconds: 300, secretId: 's1' },
    });
    const leaked = { ...event, context: { ...event.context, secret: 'plain-text' } };
    expect(validateAuditEvent(leaked).valid).toBe(false);
  });

  it('accepts an update with before and after values', () => {
    const event = buildAuditEvent('client.updated', {
      ...common,
      action: 'client.update',
      context: { clientId: 'cli_abc', changes: { rateTier: { from: 'standard', to: 'premium' } } },
    });
    expect(validateAuditEvent(event).valid).toBe(true);
  });

  it('rejects an update change without a to value', () => {
    const event = buildAuditEvent('client.updated', {
      ...common,
      action: 'client.update',
      context: { clientId: 'cli_abc', changes: {} },
    });
    const malformed = { ...event, context: { clientId: 'cli_abc', changes: { rateTier: { from: 'a', extra: 1 } } } };
    expect(validateAuditEvent(malformed).valid).toBe(false);
  });

  it('accepts a rotation naming secret ids', () => {
    const event = buildAuditEvent('client.secret_rotated', {
      ...common,
      action: 'client.rotate_secret',
      context: { clientId: 'cli_abc', secretId: 's2', previousSecretIds: ['s1'], previousSecretsExpireAt: '2026-12-05T00:00:00.000Z', revokedSecretIds: [] },
    });
    expect(validateAuditEvent(event).valid).toBe(true);
  });

  it('requires an expiry field on a suspension', () => {
    const event = buildAuditEvent('client.suspended', {
      ...common,
      action: 'client.suspend',
      context: { clientId: 'cli_abc', suspensionId: 'sus-1', expiresAt: null },
    });
    expect(validateAuditEvent(event).valid).toBe(true);
    const { expiresAt: _expiresAt, ...withoutExpiry } = event.context;
    expect(validateAuditEvent({ ...event, context: withoutExpiry }).valid).toBe(false);
  });

  it('accepts the status changes', () => {
    for (const kind of ['client.disabled', 'client.enabled', 'client.deleted'] as const) {
      const event = buildAuditEvent(kind, { ...common, action: kind, context: { clientId: 'cli_abc' } });
      expect(validateAuditEvent(event).valid, kind).toBe(true);
    }
    const lifted = buildAuditEvent('client.suspension_lifted', { ...common, action: 'client.lift_suspension', context: { clientId: 'cli_abc', suspensionId: 'sus-1' } });
    expect(validateAuditEvent(lifted).valid).toBe(true);
    const expired = buildAuditEvent('client.suspension_expired', { ...common, actor: { type: 'system', id: 'permission-service' }, action: 'client.suspension_expire', context: { clientId: 'cli_abc', suspensionId: 'sus-1' } });
    expect(validateAuditEvent(expired).valid).toBe(true);
    expect(validateAuditEvent({ ...expired, context: { clientId: 'cli_abc' } }).valid).toBe(false);
  });
});
