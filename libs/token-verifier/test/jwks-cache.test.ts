import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSigningKey, startJwksServer, type JwksServer, type TestSigningKey } from '@platform/testing';
import { JwksCache, KeyLookupError } from '../src/index.ts';

describe('JwksCache', () => {
  let first: TestSigningKey;
  let second: TestSigningKey;
  let server: JwksServer;

  beforeEach(async () => {
    first = await createSigningKey('RS256', 'key-1');
    second = await createSigningKey('RS256', 'key-2');
    server = await startJwksServer([first.publicJwk]);
  });

  afterEach(async () => {
    await server.close();
  });

  it('fetches once for repeated lookups of a known kid', async () => {
    const cache = new JwksCache(server.url, { cooldownMs: 60_000 });
    for (let i = 0; i < 5; i += 1) await cache.getKey('key-1', 'RS256');
    expect(server.requests()).toBe(1);
  });

  it('refetches once per cooldown for unknown kids', async () => {
    const cache = new JwksCache(server.url, { cooldownMs: 300 });
    await cache.getKey('key-1', 'RS256');
    server.keys.push(second.publicJwk);

    await expect(cache.getKey('unknown-a', 'RS256')).rejects.toThrow(KeyLookupError);
    expect(server.requests()).toBe(1);

    await new Promise((resolve) => setTimeout(resolve, 350));
    await expect(cache.getKey('unknown-b', 'RS256')).rejects.toThrow(KeyLookupError);
    await expect(cache.getKey('unknown-c', 'RS256')).rejects.toThrow(KeyLookupError);
    await expect(cache.getKey('key-2', 'RS256')).resolves.toBeDefined();
    expect(server.requests()).toBe(2);
  });

  it('finds a rotated key after the cooldown', async () => {
    const cache = new JwksCache(server.url, { cooldownMs: 0 });
    await cache.getKey('key-1', 'RS256');
    server.keys.push(second.publicJwk);
    await expect(cache.getKey('key-2', 'RS256')).resolves.toBeDefined();
    expect(server.requests()).toBe(2);
  });

  it('shares one fetch between concurrent misses', async () => {
    const cache = new JwksCache(server.url, { cooldownMs: 0 });
    await cache.getKey('key-1', 'RS256');
    server.keys.push(second.publicJwk);
    const lookups = await Promise.allSettled(Array.from({ length: 20 }, () => cache.getKey('key-2', 'RS256')));
    expect(lookups.every((lookup) => lookup.status === 'fulfilled')).toBe(true);
    expect(server.requests()).toBe(2);
  });

  it('shares one fetch between concurrent misses of an unknown kid', async () => {
    const cache = new JwksCache(server.url, { cooldownMs: 0 });
    await cache.getKey('key-1', 'RS256');
    const lookups = await Promise.allSettled(Array.from({ length: 20 }, () => cache.getKey('missing', 'RS256')));
    expect(lookups.every((lookup) => lookup.status === 'rejected')).toBe(true);
    expect(server.requests()).toBe(2);
  });

  it('keeps valid keys when a refetch fails', async () => {
    const cache = new JwksCache(server.url, { cooldownMs: 0 });
    await cache.getKey('key-1', 'RS256');
    server.setFailing(true);
    await expect(cache.getKey('key-2', 'RS256')).rejects.toThrow(KeyLookupError);
    expect(server.requests()).toBe(2);
    expect(cache.lastFailure).toMatch(/status 500/);
    await expect(cache.getKey('key-1', 'RS256')).resolves.toBeDefined();
  });

  it('drops keys the issuer removed after a successful refetch', async () => {
    const cache = new JwksCache(server.url, { cooldownMs: 0 });
    await cache.getKey('key-1', 'RS256');
    server.keys.splice(0, 1, second.publicJwk);
    await cache.refresh();
    expect(cache.kids()).toEqual(['key-2']);
  });

  it('reports an issuer whose keys never loaded as unavailable', async () => {
    server.setFailing(true);
    const cache = new JwksCache(server.url, { cooldownMs: 60_000 });
    const lookup = cache.getKey('key-1', 'RS256');
    await expect(lookup).rejects.toMatchObject({ reason: 'jwks_unavailable' });
  });

  it('refuses a key whose type does not fit the algorithm', async () => {
    const cache = new JwksCache(server.url, { cooldownMs: 60_000 });
    await expect(cache.getKey('key-1', 'ES256')).rejects.toMatchObject({ reason: 'unknown_key' });
    await expect(cache.getKey('key-1', 'HS256')).rejects.toMatchObject({ reason: 'unknown_key' });
  });

  it('skips symmetric, private and encryption keys', async () => {
    server.keys.push(
      { kty: 'oct', kid: 'hmac', k: 'c2VjcmV0' },
      { ...first.publicJwk, kid: 'private', d: 'AAAA' },
      { ...first.publicJwk, kid: 'encryption', use: 'enc' },
    );
    const cache = new JwksCache(server.url);
    await cache.refresh();
    expect(cache.kids()).toEqual(['key-1']);
  });
});
