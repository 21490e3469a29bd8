import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { findExecutable } from './binaries.ts';
import { freePort, waitFor } from './ports.ts';

export interface RedisServer {
  readonly url: string;
  readonly port: number;
  /** Stops the server; data is lost, as with a crash of a Redis that keeps nothing on disk. */
  stop(): Promise<void>;
  /** Starts the server again on the same port. */
  start(): Promise<void>;
}

/**
 * Starts a private redis-server on a free loopback port, for tests that need to stop and restart
 * Redis or that must not share state. The server keeps nothing on disk.
 */
export async function startRedisServer(extraArgs: string[] = []): Promise<RedisServer> {
  const binary = findExecutable('redis-server');
  if (binary === undefined) throw new Error('redis-server is missing; install it with `apt-get install redis-server`');
  const port = await freePort();
  let child: ChildProcess | undefined;

  const start = async () => {
    child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...extraArgs], { stdio: 'ignore' });
    await waitFor(async () => {
      const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      // Refused connections are expected until the server listens; connect() rejects on them.
      probe.on('error', () => {});
      try {
        await probe.connect();
        return (await probe.ping()) === 'PONG';
      } finally {
        probe.disconnect();
      }
    }, `redis-server on port ${port}`);
  };

  const stop = async () => {
    const running = child;
    if (running === undefined || running.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve());
      running.kill('SIGKILL');
    });
  };

  await start();
  return { url: `redis://127.0.0.1:${port}`, port, stop, start };
}

/** Returns the Redis URL for tests: TEST_REDIS_URL when set, else a private server started here. */
export async function testRedisUrl(): Promise<{ url: string; close: () => Promise<void> }> {
  const fromEnvironment = process.env['TEST_REDIS_URL'];
  if (fromEnvironment) return { url: fromEnvironment, close: async () => {} };
  const server = await startRedisServer();
  return { url: server.url, close: server.stop };
}
