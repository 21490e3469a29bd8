import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

// Child processes of the stack. Each runs in its own process group, so Ctrl-C reaches only the
// stack, which then stops its children in order. The exit handler kills any that are left.

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  /** Resolves with the exit code (or signal name) when the process ends. */
  readonly exited: Promise<string>;
  hasExited(): boolean;
  /** Last lines of output, to explain a failed start. */
  recentOutput(): string;
  /** Sends SIGTERM, then SIGKILL after the grace period, and waits for the exit. */
  stop(graceMs?: number): Promise<void>;
}

const running = new Set<ChildProcess>();
let exitHandlerInstalled = false;

function installExitHandler(): void {
  if (exitHandlerInstalled) return;
  exitHandlerInstalled = true;
  process.once('exit', () => {
    for (const child of running) {
      if (child.pid !== undefined && child.exitCode === null) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  });
}

/** Formats a pino JSON line as `time level message {fields}` for the terminal; other lines pass as they are. */
export function formatLogLine(line: string): string {
  if (!line.startsWith('{')) return line;
  try {
    const entry = JSON.parse(line) as Record<string, unknown>;
    const { time, level, message, msg, service: _service, pid: _pid, hostname: _hostname, ...fields } = entry;
    const clock = typeof time === 'string' ? time.slice(11, 19) : '';
    const text = String(message ?? msg ?? '');
    const extra = Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
    return `${clock} ${String(level ?? '').padEnd(5)} ${text}${extra}`;
  } catch {
    return line;
  }
}

export interface SpawnOptions {
  name: string;
  command: string;
  args: string[];
  env: Record<string, string | undefined>;
  cwd: string;
  output: 'inherit' | 'files';
  logDir: string;
}

export function spawnManaged(options: SpawnOptions): ManagedProcess {
  installExitHandler();
  const child = spawn(options.command, options.args, { cwd: options.cwd, env: options.env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  running.add(child);
  const recent: string[] = [];
  let file: WriteStream | undefined;
  if (options.output === 'files') {
    mkdirSync(options.logDir, { recursive: true });
    file = createWriteStream(join(options.logDir, `${options.name}.log`), { flags: 'a' });
  }
  const onLine = (line: string) => {
    recent.push(line);
    if (recent.length > 40) recent.shift();
    if (file !== undefined) file.write(`${line}\n`);
    else process.stdout.write(`[${options.name}] ${formatLogLine(line)}\n`);
  };
  for (const stream of [child.stdout, child.stderr]) {
    if (stream !== null) createInterface({ input: stream }).on('line', onLine);
  }
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      file?.end();
      resolve(code === null ? String(signal) : String(code));
    });
    child.once('error', (error) => {
      running.delete(child);
      recent.push(`failed to start: ${error.message}`);
      resolve('spawn-error');
    });
  });

  return {
    name: options.name,
    pid: child.pid ?? 0,
    exited,
    hasExited: () => child.exitCode !== null || child.signalCode !== null || !running.has(child),
    recentOutput: () => recent.join('\n'),
    stop: async (graceMs = 10_000) => {
      if (child.pid === undefined || !running.has(child)) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      }, graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
