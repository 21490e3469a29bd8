import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '@platform/testing';
import { ensurePackages } from '../src/debian.ts';
import { resolvePorts, stackOptionsFromEnv } from '../src/options.ts';
import { assertPortsFree, freeStackPorts } from '../src/ports.ts';
import { formatLogLine } from '../src/processes.ts';
import { loadOrCreateSecrets } from '../src/secrets.ts';
import { assertEntriesExist, serviceDefinitions } from '../src/services.ts';
import { startStack } from '../src/stack.ts';

async function occupy(port: number): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

describe('stack checks', () => {
  it('names the variable of a busy port', async () => {
    const busy = await freePort();
    const server = await occupy(busy);
    try {
      const ports = resolvePorts({ nginxApi: busy, nginxApp: await freePort(), sessionGateway: await freePort(), tokenValidation: await freePort(), permissionService: await freePort(), localIdp: await freePort(), sampleBackend: await freePort() });
      await expect(assertPortsFree(ports)).rejects.toThrow(`port ${busy} (NGINX API server) is already in use; stop what uses it or set NGINX_API_PORT to another port`);
    } finally {
      server.close();
    }
  });

  it('stops startStack at a busy port before starting anything', async () => {
    // Every other port is free as well, so the busy one is the first and only port reported,
    // even when a local stack runs on the default ports.
    const ports = await freeStackPorts();
    const server = await occupy(ports.localIdp);
    const stackDir = mkdtempSync(join(tmpdir(), 'platform-stack-busy-'));
    try {
      const error = await startStack({ ports, stackDir }).catch((caught: unknown) => caught as Error);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message.split('\n')).toHaveLength(1);
      expect((error as Error).message).toContain('LOCAL_IDP_PORT');
    } finally {
      server.close();
      rmSync(stackDir, { recursive: true, force: true });
    }
  });

  it('rejects a port configured twice', async () => {
    const port = await freePort();
    await expect(assertPortsFree(resolvePorts({ nginxApi: port, nginxApp: port }))).rejects.toThrow(/configured twice .*NGINX_APP_PORT/);
  });

  it('reads ports from the environment', () => {
    const options = stackOptionsFromEnv({ NGINX_API_PORT: '18080', REDIS_URL: 'redis://127.0.0.1:6390' });
    expect(options.ports?.nginxApi).toBe(18080);
    expect(options.redisUrl).toBe('redis://127.0.0.1:6390');
    expect(() => stackOptionsFromEnv({ NGINX_APP_PORT: 'eighty' })).toThrow('NGINX_APP_PORT is malformed');
  });

  it('names a missing service entry point', () => {
    expect(() => assertEntriesExist('/nonexistent', [{ name: 'token-validation', entry: 'apps/token-validation/src/main.ts' }])).toThrow(
      'token-validation cannot start: apps/token-validation/src/main.ts is missing',
    );
  });

  it('prints the install command for missing packages', () => {
    const absent = { name: 'no-such-package', present: () => false };
    expect(() => ensurePackages([absent], { install: false, log: () => {} })).toThrow(
      'missing Debian packages: no-such-package; install them with: sudo apt-get update && sudo apt-get install -y --no-install-recommends no-such-package',
    );
  });

  it('keeps generated secrets across starts', () => {
    const stackDir = mkdtempSync(join(tmpdir(), 'platform-stack-secrets-'));
    try {
      const first = loadOrCreateSecrets(stackDir);
      const second = loadOrCreateSecrets(stackDir);
      expect(second).toEqual(first);
      expect(Buffer.from(first.sessionEncryptionKey, 'base64')).toHaveLength(32);
      expect(first.clientSecrets['session-gateway']).not.toBe(first.clientSecrets['demo-m2m-client']);
    } finally {
      rmSync(stackDir, { recursive: true, force: true });
    }
  });

  it('gives every service its trusted issuer', () => {
    const stackDir = mkdtempSync(join(tmpdir(), 'platform-stack-env-'));
    try {
      const definitions = serviceDefinitions({ repoRoot: '/repo', stackDir, ports: resolvePorts(), secrets: loadOrCreateSecrets(stackDir), redisUrl: 'redis://127.0.0.1:1', databaseUrl: 'postgres://127.0.0.1:2/platform', logLevel: 'info' });
      for (const name of ['token-validation', 'permission-service', 'session-gateway']) {
        const issuers = JSON.parse(definitions.find((definition) => definition.name === name)!.env['TRUSTED_ISSUERS']!) as Array<{ issuer: string; audience: string }>;
        expect(issuers[0]).toMatchObject({ issuer: 'http://localhost:9400', audience: 'urn:platform:api' });
      }
      const gateway = definitions.find((definition) => definition.name === 'session-gateway')!.env;
      expect(gateway['API_UPSTREAM_URL']).toBe('http://127.0.0.1:8080');
      expect(gateway['PUBLIC_BASE_URL']).toBe('http://localhost:8000');
    } finally {
      rmSync(stackDir, { recursive: true, force: true });
    }
  });

  it('formats pino lines for the terminal', () => {
    expect(formatLogLine('{"level":"info","time":"2026-01-02T03:04:05.000Z","service":"x","message":"started","port":1}')).toBe('03:04:05 info  started {"port":1}');
    expect(formatLogLine('plain text')).toBe('plain text');
  });
});

describe('freeStackPorts', () => {
  it('picks a distinct port for each service', async () => {
    const ports = Object.values(await freeStackPorts());
    expect(ports).toHaveLength(7);
    expect(new Set(ports).size).toBe(7);
  });
});
