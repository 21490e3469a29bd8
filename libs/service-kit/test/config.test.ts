import { describe, expect, it } from 'vitest';
import { ConfigError, env, loadConfig } from '../src/index.ts';

const specs = {
  REDIS_URL: env.url({ protocols: ['redis:', 'rediss:'], example: 'redis://127.0.0.1:6379' }),
  PORT: env.port({ default: 8081 }),
  COOKIE_SECURE: env.boolean({ default: true }),
  OTEL_ENDPOINT: env.optional(env.url({ protocols: ['http:', 'https:'], example: 'http://127.0.0.1:4318' })),
};

describe('loadConfig', () => {
  it('parses valid values and applies defaults', () => {
    const config = loadConfig(specs, { REDIS_URL: 'redis://127.0.0.1:6379' });
    expect(config).toEqual({ REDIS_URL: 'redis://127.0.0.1:6379', PORT: 8081, COOKIE_SECURE: true, OTEL_ENDPOINT: undefined });
  });

  it('names a malformed variable and the expected form', () => {
    expect(() => loadConfig(specs, { REDIS_URL: 'not-a-url' })).toThrow(
      'invalid configuration: REDIS_URL is malformed; expected a redis:// or rediss:// URL such as redis://127.0.0.1:6379',
    );
  });

  it('names a missing variable', () => {
    expect(() => loadConfig(specs, {})).toThrow(ConfigError);
    expect(() => loadConfig(specs, {})).toThrow(/REDIS_URL is not set/);
  });

  it('rejects a port out of range', () => {
    expect(() => loadConfig(specs, { REDIS_URL: 'redis://h:1', PORT: '70000' })).toThrow(/PORT is malformed; expected a TCP port number/);
  });

  it('never echoes the value', () => {
    try {
      loadConfig(specs, { REDIS_URL: 'redis://:hunter2@' });
      expect.unreachable();
    } catch (error) {
      expect(String(error)).not.toContain('hunter2');
    }
  });

  it('parses a 256-bit key', () => {
    const key = loadConfig({ KEY: env.key256() }, { KEY: Buffer.alloc(32, 7).toString('base64') }).KEY;
    expect(key.length).toBe(32);
    expect(() => loadConfig({ KEY: env.key256() }, { KEY: 'c2hvcnQ=' })).toThrow(/KEY is malformed/);
  });
});
