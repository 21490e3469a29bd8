import { connect } from 'node:net';
import { findExecutable, freePort, waitFor } from '@platform/testing';
import { StackError } from './errors.ts';
import { spawnManaged, type ManagedProcess } from './processes.ts';

// The stack's own Redis: a foreground redis-server on a free loopback port. No maxmemory is set,
// so the blacklist entries kept there can never be evicted.
// NOTE: it keeps nothing on disk, so sessions and queued jobs last only as long as the stack runs.

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.setTimeout(1_000);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startStackRedis(options: { cwd: string; output: 'inherit' | 'files'; logDir: string }): Promise<{ url: string; process: ManagedProcess }> {
  const binary = findExecutable('redis-server');
  if (binary === undefined) throw new StackError('redis-server is missing; install it with: apt-get install redis-server');
  const port = await freePort();
  const redis = spawnManaged({
    name: 'redis',
    command: binary,
    args: ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'],
    env: process.env,
    cwd: options.cwd,
    output: options.output,
    logDir: options.logDir,
  });
  try {
    await waitFor(async () => redis.hasExited() || (await answersPing(port)), `redis-server on port ${port}`, 15_000, 50);
  } catch {
    await redis.stop();
    throw new StackError(`redis-server did not start on port ${port}: ${redis.recentOutput()}`);
  }
  if (redis.hasExited()) throw new StackError(`redis-server exited at start: ${redis.recentOutput()}`);
  return { url: `redis://127.0.0.1:${port}`, process: redis };
}
