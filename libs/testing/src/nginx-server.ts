import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { findExecutable } from './binaries.ts';
import { waitFor } from './ports.ts';

/** Debian's njs module for NGINX (package libnginx-mod-http-js). */
export const NJS_MODULE_PATH = '/usr/lib/nginx/modules/ngx_http_js_module.so';

export interface NginxOptions {
  /** Directives of the `http` context: maps, upstreams and `server` blocks. */
  config: string;
  /** Extra files written into the prefix folder before start, by path relative to it (included snippets, njs scripts). */
  files?: Record<string, string>;
  /** Folder for the pid file, temporary files, logs and the rendered config; a new temporary folder when omitted. */
  prefix?: string;
  /** Loads the njs module; by default only when the config uses a `js_` directive. */
  njs?: boolean;
  /** Level of the error log, written to the prefix folder's error.log (default `warn`). */
  errorLogLevel?: 'debug' | 'info' | 'notice' | 'warn' | 'error';
  /** Writes NGINX's error log to this process's stderr instead of the prefix folder, for foreground runs. */
  inheritOutput?: boolean;
  /** How long to wait for every `listen` address to accept connections, in ms (default 15000). */
  startTimeoutMs?: number;
}

export interface NginxServer {
  readonly prefix: string;
  readonly configPath: string;
  readonly pid: number;
  /** Stops NGINX gracefully (SIGQUIT to the master process) and waits for it to exit. */
  stop(): Promise<void>;
  /** Stops NGINX and deletes the prefix folder when this helper created it. */
  remove(): Promise<void>;
  /** Text of the error log so far, to explain a failed test. */
  errorLog(): string;
}

/** Finds the nginx binary on PATH or in /usr/sbin, where Debian installs it outside root's PATH. */
export function findNginx(): string | undefined {
  return findExecutable('nginx') ?? (existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : undefined);
}

/**
 * Builds a complete nginx.conf around the given `http` directives: a foreground master process and
 * one worker. The pid file, logs and every temporary folder are inside the prefix, so the server
 * needs no write access outside it and several can run side by side.
 */
export function wrapNginxConfig(prefix: string, options: Pick<NginxOptions, 'config' | 'njs' | 'errorLogLevel' | 'inheritOutput'>): string {
  const useNjs = options.njs ?? /^\s*js_\w+/m.test(options.config);
  const lines = [
    useNjs ? `load_module ${NJS_MODULE_PATH};` : '',
    'daemon off;',
    'master_process on;',
    'worker_processes 1;',
    `pid ${join(prefix, 'nginx.pid')};`,
    `error_log ${options.inheritOutput ? 'stderr' : join(prefix, 'error.log')} ${options.errorLogLevel ?? 'warn'};`,
    '',
    'events {',
    '    worker_connections 1024;',
    '}',
    '',
    'http {',
    `    client_body_temp_path ${join(prefix, 'client_body_temp')};`,
    `    proxy_temp_path ${join(prefix, 'proxy_temp')};`,
    `    fastcgi_temp_path ${join(prefix, 'fastcgi_temp')};`,
    `    uwsgi_temp_path ${join(prefix, 'uwsgi_temp')};`,
    `    scgi_temp_path ${join(prefix, 'scgi_temp')};`,
    `    access_log ${join(prefix, 'access.log')};`,
    '',
    options.config,
    '}',
    '',
  ];
  return lines.join('\n');
}

/** Extracts the ports of the config's `listen` directives, to wait for. */
export function listenPorts(config: string): number[] {
  const ports: number[] = [];
  for (const match of config.matchAll(/(?:^|[\s{;])listen\s+(?:[\w.[\]:-]+:)?(\d+)\b/gm)) ports.push(Number(match[1]));
  return ports;
}

function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Starts NGINX as a foreground child process with its own prefix folder. The config is checked
 * with `nginx -t` first, so a mistake fails with NGINX's own message instead of a timeout.
 */
export async function startNginx(options: NginxOptions): Promise<NginxServer> {
  const binary = findNginx();
  if (binary === undefined) throw new Error('nginx is missing; install it with `apt-get install nginx` (and libnginx-mod-http-js for njs)');

  const ownsPrefix = options.prefix === undefined;
  const prefix = options.prefix ?? mkdtempSync(join(tmpdir(), 'platform-nginx-'));
  mkdirSync(prefix, { recursive: true });
  for (const [path, content] of Object.entries(options.files ?? {})) {
    const target = join(prefix, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
  }
  const configPath = join(prefix, 'nginx.conf');
  writeFileSync(configPath, wrapNginxConfig(prefix, options));
  const errorLogPath = join(prefix, 'error.log');
  const errorLog = () => (existsSync(errorLogPath) ? readFileSync(errorLogPath, 'utf8') : '');

  const check = spawnSync(binary, ['-p', prefix, '-c', configPath, '-t', '-q'], { encoding: 'utf8' });
  if (check.status !== 0) {
    if (ownsPrefix) rmSync(prefix, { recursive: true, force: true });
    throw new Error(`nginx rejected its configuration: ${(check.stderr || check.stdout).trim()}`);
  }

  // NGINX writes to stderr only before it opens its own error log, so startup failures show up here.
  const child: ChildProcess = spawn(binary, ['-p', prefix, '-c', configPath], { stdio: ['ignore', 'ignore', options.inheritOutput ? 'inherit' : 'pipe'] });
  let startupOutput = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    startupOutput += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGQUIT');
    await exited;
  };

  try {
    await waitFor(async () => {
      if (child.exitCode !== null) return true;
      const ready = await Promise.all(listenPorts(options.config).map(acceptsConnections));
      return ready.every(Boolean);
    }, 'nginx to accept connections', options.startTimeoutMs ?? 15_000);
  } catch (error) {
    await stop();
    const detail = `${startupOutput}${errorLog()}`.trim();
    if (ownsPrefix) rmSync(prefix, { recursive: true, force: true });
    throw new Error(`nginx did not start: ${detail || (error as Error).message}`);
  }
  if (child.exitCode !== null) throw new Error(`nginx exited at start: ${startupOutput}${errorLog()}`.trim());

  return {
    prefix,
    configPath,
    pid: child.pid ?? 0,
    stop,
    errorLog,
    remove: async () => {
      await stop();
      if (ownsPrefix) rmSync(prefix, { recursive: true, force: true });
    },
  };
}
