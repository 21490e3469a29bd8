import { spawnSync } from 'node:child_process';
import { userInfo } from 'node:os';
import { findExecutable, findNginx, findPostgresBinDir } from '@platform/testing';
import { StackError } from './errors.ts';

// The stack runs Redis, PostgreSQL and NGINX from Debian's packages. Missing packages are
// installed when running as root; otherwise the exact command is printed.

export interface RequiredPackage {
  readonly name: string;
  present(): boolean;
}

const REDIS: RequiredPackage = { name: 'redis-server', present: () => findExecutable('redis-server') !== undefined };
const POSTGRES: RequiredPackage = { name: 'postgresql', present: () => findPostgresBinDir() !== undefined };
const NGINX: RequiredPackage = { name: 'nginx', present: () => findNginx() !== undefined };

/** Lists the packages needed for what the stack starts itself. */
export function requiredPackages(options: { needRedis: boolean; needPostgres: boolean }): RequiredPackage[] {
  return [...(options.needRedis ? [REDIS] : []), ...(options.needPostgres ? [POSTGRES] : []), NGINX];
}

export function missingPackages(packages: RequiredPackage[]): string[] {
  return packages.filter((candidate) => !candidate.present()).map((candidate) => candidate.name);
}

function run(command: string, args: string[], log: (line: string) => void): void {
  log(`running: ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (result.status !== 0) throw new StackError(`${command} ${args.join(' ')} failed with exit code ${result.status ?? 'none'}`);
}

/** Installs the missing packages with apt-get as root, or fails with the command to run. */
export function ensurePackages(packages: RequiredPackage[], options: { install: boolean; log: (line: string) => void }): void {
  const missing = missingPackages(packages);
  if (missing.length === 0) return;
  const command = `apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (!options.install || userInfo().uid !== 0 || findExecutable('apt-get') === undefined) {
    throw new StackError(`missing Debian packages: ${missing.join(', ')}; install them with: sudo apt-get update && sudo ${command}`);
  }
  run('apt-get', ['update'], options.log);
  run('apt-get', ['install', '-y', '--no-install-recommends', ...missing], options.log);
  const stillMissing = missingPackages(packages);
  if (stillMissing.length > 0) throw new StackError(`packages still missing after apt-get install: ${stillMissing.join(', ')}`);
}
