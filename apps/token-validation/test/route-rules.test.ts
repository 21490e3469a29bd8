import { describe, expect, it } from 'vitest';
import { normalisePath, originalRequest } from '../src/validation/original-request.ts';
import { RouteRules } from '../src/validation/route-rules.ts';
import { DEFAULT_ROUTE_RULES_FILE } from '../src/config.ts';

describe('normalisePath', () => {
  it.each([
    ['/api/transactions', '/api/transactions'],
    ['/api/transactions?page=2', '/api/transactions'],
    ['/api/transactions/42#x', '/api/transactions/42'],
    ['/api/a/../sessions', '/api/sessions'],
    ['/api/./sessions/', '/api/sessions/'],
    ['//api///sessions', '/api/sessions'],
    ['/api/%73essions', '/api/sessions'],
    ['/api/a%2F..%2Fsessions', '/api/sessions'],
  ])('normalises %j to %j', (uri, expected) => {
    expect(normalisePath(uri)).toBe(expected);
  });

  it.each(['api/x', '/../etc/passwd', '/api/%zz', '/api/%00', '*'])('rejects %j', (uri) => {
    expect(normalisePath(uri)).toBeUndefined();
  });
});

describe('originalRequest', () => {
  it('rejects a missing header', () => {
    expect(originalRequest(undefined, '/api')).toEqual({ ok: false, reason: 'original_request_missing' });
  });

  it('rejects a lower-case method', () => {
    expect(originalRequest('get', '/api')).toEqual({ ok: false, reason: 'original_method_invalid' });
  });
});

describe('RouteRules', () => {
  const rules = new RouteRules({
    defaultAction: 'deny',
    rules: [
      { methods: ['GET'], pathPrefix: '/api/things', scopes: ['things:read'] },
      { methods: ['*'], pathPrefix: '/api/things', scopes: ['things:write'] },
      { methods: ['GET'], pathPrefix: '/api/things/secret/', permissions: ['secrets:read'] },
      { methods: ['GET'], pathPrefix: '/api/open' },
    ],
  });

  it('picks the rule for the method', () => {
    expect(rules.requirementFor('GET', '/api/things/1')).toMatchObject({ scopes: ['things:read'] });
    expect(rules.requirementFor('POST', '/api/things/1')).toMatchObject({ scopes: ['things:write'] });
  });

  it('prefers the longest prefix', () => {
    expect(rules.requirementFor('GET', '/api/things/secret/1')).toMatchObject({ permissions: ['secrets:read'] });
  });

  it('matches whole segments only', () => {
    expect(rules.requirementFor('GET', '/api/thingsX')).toEqual({ kind: 'deny' });
  });

  it('allows a rule without requirements', () => {
    expect(rules.requirementFor('GET', '/api/open/x')).toMatchObject({ kind: 'require', all: [] });
  });

  it('applies the default where no rule matches', () => {
    expect(rules.requirementFor('GET', '/api/unknown')).toEqual({ kind: 'deny' });
  });

  it('loads the shipped rules file', () => {
    const shipped = RouteRules.fromFile(DEFAULT_ROUTE_RULES_FILE);
    expect(shipped.requirementFor('GET', '/api/transactions/42')).toMatchObject({ scopes: ['transactions:read'] });
    expect(shipped.requirementFor('DELETE', '/api/sessions/user/x')).toMatchObject({ permissions: ['sessions:revoke'] });
    expect(shipped.requirementFor('POST', '/api/revocations')).toMatchObject({ permissions: ['tokens:revoke'] });
  });
});
