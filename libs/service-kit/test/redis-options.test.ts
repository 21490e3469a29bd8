import { describe, expect, it } from 'vitest';
import { redisOptionsFromUrl } from '../src/index.ts';

describe('redisOptionsFromUrl', () => {
  it('reads host, port, credentials and database', () => {
    expect(redisOptionsFromUrl('redis://user:p%40ss@10.0.0.5:6380/2')).toEqual({ host: '10.0.0.5', port: 6380, username: 'user', password: 'p@ss', db: 2 });
  });

  it('defaults the port and turns on TLS for rediss', () => {
    expect(redisOptionsFromUrl('rediss://cache.internal')).toEqual({ host: 'cache.internal', port: 6379, tls: {} });
  });

  it('keeps extra options', () => {
    expect(redisOptionsFromUrl('redis://127.0.0.1:6379', { maxRetriesPerRequest: null })).toMatchObject({ maxRetriesPerRequest: null });
  });
});
