import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort, waitFor } from '@platform/testing';

export interface ServiceProcess {
  readonly port: number;
  /** Starts the service process and resolves once /healthz returns 200. */
  start(): Promise<void>;
  /** Kills the process with SIGKILL, as a crash or an evicted pod would end it. */
  kill(): Promise<void>;
  /** Stops the process with SIGTERM and waits for it to exit. */
  stop(): Promise<void>;
  /** The process's standard error so far, for failure messages. */
  errors(): string;
  /** The log lines (standard output) of every run so far. */
  logs(): string;
}

/** Runs permission-service's real entry point (src/main.ts) as a child process. */
export async function serviceProcess(environment: Record<string, string>): Promise<ServiceProcess> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  let stderr = '';
  let stdout = '';

  const exited = (running: ChildProcess) => new Promise<void>((resolve) => {
    if (running.exitCode !== null || running.signalCode !== null) resolve();
    else running.once('exit', () => resolve());
  });

  return {
    port,
    async start() {
      const running = spawn(process.execPath, [join(import.meta.dirname, '..', '..', 'src', 'main.ts')], {
        env: { ...process.env, ...environment, PORT: String(port), HOST: '127.0.0.1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      running.stdout?.on('data', (chunk: Buffer) => {
        stdout = `${stdout}${chunk.toString('utf8')}`.slice(-200_000);
      });
      running.stderr?.on('data', (chunk: Buffer) => {
        stderr = `${stderr}${chunk.toString('utf8')}`.slice(-20_000);
      });
      child = running;
      await waitFor(async () => {
        if (running.exitCode !== null) throw new Error(`permission-service exited with ${running.exitCode}: ${stderr}`);
        const response = await fetch(`http://127.0.0.1:${port}/healthz`);
        return response.ok;
      }, 'permission-service /healthz', 30_000, 100);
    },
    async kill() {
      if (child === undefined) return;
      const running = child;
      running.kill('SIGKILL');
      await exited(running);
    },
    async stop() {
      if (child === undefined) return;
      const running = child;
      running.kill('SIGTERM');
      await exited(running);
    },
    errors: () => stderr,
    logs: () => stdout,
  };
}
