import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderPlatformNginxConfig, startNginx, waitFor, type NginxServer } from '@platform/testing';
import { ensurePackages, requiredPackages } from './debian.ts';
import { StackError } from './errors.ts';
import { REPO_ROOT, resolvePorts, type StackOptions, type StackPorts } from './options.ts';
import { assertPortsFree } from './ports.ts';
import { startStackPostgres } from './postgres.ts';
import { startStackRedis } from './redis.ts';
import { spawnManaged, type ManagedProcess } from './processes.ts';
import { loadOrCreateSecrets, type StackSecrets } from './secrets.ts';
import { appOrigin, assertEntriesExist, issuerUrl, MIGRATE_ENTRY, serviceDefinitions, STACK_ENTRIES, type ServiceDefinition } from './services.ts';

export interface StackUrls {
  /** Browser-facing origin: NGINX app server in front of session-gateway. */
  app: string;
  /** NGINX API server for bearer-token clients. */
  api: string;
  issuer: string;
  sessionGateway: string;
  tokenValidation: string;
  permissionService: string;
  sampleBackend: string;
}

export interface RunningStack {
  readonly urls: StackUrls;
  readonly ports: StackPorts;
  readonly secrets: StackSecrets;
  readonly stackDir: string;
  /** Stops everything the stack started, in reverse order, and nothing else. */
  stop(): Promise<void>;
}

/** File where a running stack records its URLs, so `npm run demo` finds it. */
export function stackStateFile(stackDir: string): string {
  return join(stackDir, 'stack.json');
}

async function waitUntilReady(service: ManagedProcess, url: string, timeoutMs: number): Promise<void> {
  try {
    await waitFor(async () => {
      if (service.hasExited()) return true;
      return (await fetch(url, { signal: AbortSignal.timeout(2_000) })).ok;
    }, `${service.name} at ${url}`, timeoutMs, 200);
  } catch {
    throw new StackError(`${service.name} did not become ready at ${url} within ${timeoutMs / 1000} s; its last output:\n${service.recentOutput()}`);
  }
  if (service.hasExited()) {
    throw new StackError(`${service.name} exited during start; its last output:\n${service.recentOutput()}`);
  }
}

/**
 * Starts the whole platform locally: Redis and PostgreSQL (unless given), migrations, the local
 * identity provider, the three services, the sample backend and NGINX. On any failure everything
 * started so far is stopped again before the error is raised.
 */
export async function startStack(options: StackOptions = {}, log: (line: string) => void = () => {}): Promise<RunningStack> {
  const ports = resolvePorts(options.ports);
  const stackDir = options.stackDir ?? join(REPO_ROOT, '.stack');
  const output = options.output ?? 'files';
  const logDir = join(stackDir, 'logs');
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) {
      try {
        await stop();
      } catch (error) {
        log(`stopping failed: ${(error as Error).message}`);
      }
    }
    stops.length = 0;
    rmSync(stackStateFile(stackDir), { force: true });
  };

  try {
    assertEntriesExist(REPO_ROOT, STACK_ENTRIES);
    await assertPortsFree(ports);
    mkdirSync(stackDir, { recursive: true });
    ensurePackages(requiredPackages({ needRedis: options.redisUrl === undefined, needPostgres: options.databaseUrl === undefined }), {
      install: options.installPackages ?? true,
      log,
    });
    const secrets = loadOrCreateSecrets(stackDir);

    let redisUrl = options.redisUrl;
    if (redisUrl === undefined) {
      const redis = await startStackRedis({ cwd: stackDir, output, logDir });
      stops.push(() => redis.process.stop());
      redisUrl = redis.url;
      log(`started Redis at ${redisUrl}`);
    }
    let databaseUrl = options.databaseUrl;
    if (databaseUrl === undefined) {
      const postgres = await startStackPostgres(stackDir, log);
      stops.push(postgres.stop);
      databaseUrl = postgres.databaseUrl;
      log(`started PostgreSQL at ${databaseUrl.replace(/\/\/[^@]*@/, '//')}`);
    }

    const context = { repoRoot: REPO_ROOT, stackDir, ports, secrets, redisUrl, databaseUrl, logLevel: options.logLevel ?? 'info' };
    const definitions = serviceDefinitions(context);

    log('running permission-service migrations');
    const migration = spawnSync(process.execPath, [join(REPO_ROOT, MIGRATE_ENTRY), 'latest'], {
      cwd: REPO_ROOT,
      env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    if (migration.status !== 0) throw new StackError(`permission-service migrations failed: ${(migration.stderr || migration.stdout).trim()}`);

    const start = (definition: ServiceDefinition) => {
      const service = spawnManaged({
        name: definition.name,
        command: process.execPath,
        args: [join(REPO_ROOT, definition.entry)],
        env: { ...process.env, ...definition.env, ...options.serviceEnv?.[definition.name] },
        cwd: REPO_ROOT,
        output,
        logDir,
      });
      stops.push(() => service.stop());
      return service;
    };
    const byName = (name: string) => definitions.find((definition) => definition.name === name)!;

    // The provider and the backends first, then the gateway, which discovers the provider and
    // calls permission-service at login.
    const first = ['local-idp', 'sample-backend', 'token-validation', 'permission-service'].map((name) => ({ definition: byName(name), service: start(byName(name)) }));
    await Promise.all(first.map(({ definition, service }) => waitUntilReady(service, definition.readyUrl, 90_000)));
    log('identity provider, token-validation, permission-service and sample backend are ready');

    const gateway = start(byName('session-gateway'));
    await waitUntilReady(gateway, byName('session-gateway').readyUrl, 90_000);

    const nginxPrefix = join(stackDir, 'nginx');
    rmSync(nginxPrefix, { recursive: true, force: true });
    const rendered = renderPlatformNginxConfig({
      apiListen: `127.0.0.1:${ports.nginxApi}`,
      appListen: `127.0.0.1:${ports.nginxApp}`,
      tokenValidation: `127.0.0.1:${ports.tokenValidation}`,
      sessionGateway: `127.0.0.1:${ports.sessionGateway}`,
      permissionService: `127.0.0.1:${ports.permissionService}`,
      transactionsApi: `127.0.0.1:${ports.sampleBackend}`,
      accessLog: `${join(stackDir, 'logs', 'nginx-access.log')} platform`,
    });
    mkdirSync(logDir, { recursive: true });
    const nginx: NginxServer = await startNginx({ ...rendered, prefix: nginxPrefix });
    stops.push(nginx.stop);
    log('NGINX is ready');

    const urls: StackUrls = {
      app: appOrigin(ports),
      api: `http://localhost:${ports.nginxApi}`,
      issuer: issuerUrl(ports),
      sessionGateway: `http://127.0.0.1:${ports.sessionGateway}`,
      tokenValidation: `http://127.0.0.1:${ports.tokenValidation}`,
      permissionService: `http://127.0.0.1:${ports.permissionService}`,
      sampleBackend: `http://127.0.0.1:${ports.sampleBackend}`,
    };
    writeFileSync(stackStateFile(stackDir), `${JSON.stringify({ urls, ports, pid: process.pid }, null, 2)}\n`);
    return { urls, ports, secrets, stackDir, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
