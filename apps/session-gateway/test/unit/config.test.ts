import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '@platform/service-kit';
import { loadGatewayConfig } from '../../src/config/config.ts';

const key = () => randomBytes(32).toString('base64');
const VALID = {
  REDIS_URL: 'redis://127.0.0.1:6379',
  OIDC_ISSUER: 'http://localhost:9400',
  OIDC_CLIENT_SECRET: 'secret',
  SESSION_ENCRYPTION_KEYS: `k1:${key()}`,
  TRUSTED_ISSUERS: JSON.stringify([{ issuer: 'http://localhost:9400', jwksUri: 'http://localhost:9400/jwks', audience: 'urn:platform:api', algorithms: ['RS256'] }]),
};

function configError(overrides: Record<string, string | undefined>): ConfigError {
  try {
    loadGatewayConfig({ ...VALID, ...overrides });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadGatewayConfig', () => {
  it('applies defaults', () => {
    const config = loadGatewayConfig(VALID);
    expect(config.PORT).toBe(8081);
    expect(config.QUEUE_REDIS_URL).toBe(VALID.REDIS_URL);
    expect(config.OIDC_REDIRECT_URI).toBe('http://localhost:8000/auth/callback');
    expect(config.REFRESH_MARGIN_SECONDS).toBe(300);
    expect(config.COOKIE_SECURE).toBe(true);
    expect(config.OIDC_ALLOW_INSECURE_HTTP).toBe(false);
  });

  it('reads several encryption keys with the first one current', () => {
    const config = loadGatewayConfig({ ...VALID, SESSION_ENCRYPTION_KEYS: `k2:${key()}, k1:${key()}` });
    expect(config.SESSION_ENCRYPTION_KEYS.map((entry) => entry.id)).toEqual(['k2', 'k1']);
  });

  it.each([
    ['REDIS_URL', 'not-a-url'],
    ['SESSION_ENCRYPTION_KEYS', 'k1:c2hvcnQ='],
    ['SESSION_ENCRYPTION_KEYS', 'no-id-separator'],
    ['SESSION_ENCRYPTION_KEYS', `k1:${key()},k1:${key()}`],
    ['TRUSTED_ISSUERS', '[]'],
    ['PUBLIC_BASE_URL', 'http://localhost:8000/app'],
    ['COOKIE_SECURE', 'maybe'],
    ['API_UPSTREAM_URL', 'ftp://127.0.0.1'],
  ])('rejects %s=%j naming the variable', (variable, value) => {
    const error = configError({ [variable]: value });
    expect(error.variable).toBe(variable);
    // Values can carry credentials, so the message names the variable but never echoes the value.
    if (value.length > 8) expect(error.message).not.toContain(value);
  });

  it('requires the service client secret with a permission service URL', () => {
    expect(configError({ PERMISSION_SERVICE_URL: 'http://127.0.0.1:8086' }).variable).toBe('PERMISSION_SERVICE_CLIENT_SECRET');
  });

  it('rejects an idle timeout longer than the absolute lifetime', () => {
    expect(configError({ SESSION_IDLE_TIMEOUT_SECONDS: '7200', SESSION_ABSOLUTE_LIFETIME_SECONDS: '3600' }).variable).toBe('SESSION_IDLE_TIMEOUT_SECONDS');
  });
});
