import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, realpathSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { findExecutable, findNginx, findPostgresBinDir, NJS_MODULE_PATH, startPostgresServer, type PostgresServer } from '@platform/testing';
import { ensurePackages, type RequiredPackage } from './debian.ts';
import { StackError } from './errors.ts';
import { REPO_ROOT } from './options.ts';
import { parseFailedTasks, sumReports } from './test-report.ts';

// `npm test`: lint, typecheck and every project's tests, then the end-to-end project (tools/stack,
// which starts the real stack with NGINX). The closing line sums the vitest JSON reports of all
// projects as `N passed, N failed`, so a run that executed no test is visible.

const REPORT_DIR = join(REPO_ROOT, '.stack', 'test-results');
const END_TO_END_PROJECT = 'stack';

const TEST_PACKAGES: RequiredPackage[] = [
  { name: 'redis-server', present: () => findExecutable('redis-server') !== undefined },
  { name: 'postgresql', present: () => findPostgresBinDir() !== undefined },
  { name: 'nginx', present: () => findNginx() !== undefined },
  { name: 'libnginx-mod-http-js', present: () => existsSync(NJS_MODULE_PATH) },
];

interface NxRun {
  exitCode: number;
  failedTasks: string[];
}

function log(line: string): void {
  process.stdout.write(`[test] ${line}\n`);
}

/** Runs `nx run-many`, echoing its output and collecting the tasks it lists as failed. */
function runNx(args: string[], env: NodeJS.ProcessEnv): Promise<NxRun> {
  return new Promise((resolve) => {
    // The .bin link points at nx's own entry point; running it with this Node keeps Node.js 24.
    const nx = realpathSync(join(REPO_ROOT, 'node_modules', '.bin', 'nx'));
    log(`nx ${args.join(' ')}`);
    const child = spawn(process.execPath, [nx, ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      process.stdout.write(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      process.stderr.write(chunk);
    });
    child.on('exit', (code) => {
      resolve({ exitCode: code ?? 1, failedTasks: parseFailedTasks(output) });
    });
  });
}

async function main(): Promise<number> {
  const started = Date.now();
  ensurePackages(TEST_PACKAGES, { install: true, log });

  let postgres: PostgresServer | undefined;
  const env: NodeJS.ProcessEnv = { ...process.env, TEST_REPORT_DIR: REPORT_DIR, NX_DAEMON: 'false', NX_TUI: 'false', NX_NO_CLOUD: 'true' };
  if (!env['TEST_DATABASE_ADMIN_URL']) {
    postgres = await startPostgresServer();
    env['TEST_DATABASE_ADMIN_URL'] = postgres.adminUrl;
    log(`started a private PostgreSQL for the run on port ${postgres.port}`);
  }
  const removePostgres = () => postgres?.removeSync();
  process.once('exit', removePostgres);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      removePostgres();
      process.exit(130);
    });
  }

  rmSync(REPORT_DIR, { recursive: true, force: true });
  mkdirSync(REPORT_DIR, { recursive: true });

  const runs = [
    await runNx(['run-many', '-t', 'lint', 'typecheck', 'test', `--exclude=${END_TO_END_PROJECT}`, '--output-style=static'], env),
    await runNx(['run-many', '-t', 'lint', 'typecheck', 'test', `--projects=${END_TO_END_PROJECT}`, '--output-style=static'], env),
  ];

  await postgres?.remove();
  postgres = undefined;

  const totals = sumReports(REPORT_DIR);
  const failedTasks = runs.flatMap((run) => run.failedTasks);
  // Lint and typecheck failures, and test runs that crashed before writing a report, count as one
  // failure each on top of the failed tests.
  const unreportedFailures = failedTasks.filter((task) => {
    const [project, target] = task.split(':');
    return target !== 'test' || !totals.projectsWithFailures.has(project ?? '');
  });
  const nxFailedWithoutTasks = runs.some((run) => run.exitCode !== 0 && run.failedTasks.length === 0) ? 1 : 0;
  const failed = totals.failed + unreportedFailures.length + nxFailedWithoutTasks;

  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  log(`projects with test reports: ${[...totals.projects].sort().join(', ') || 'none'}`);
  if (failedTasks.length > 0) log(`failed tasks: ${failedTasks.join(', ')}`);
  log(`finished in ${minutes} min`);
  const skipped = totals.skipped > 0 ? `, ${totals.skipped} skipped` : '';
  process.stdout.write(`${totals.passed} passed, ${failed} failed${skipped}\n`);
  return failed === 0 && totals.passed > 0 && runs.every((run) => run.exitCode === 0) ? 0 : 1;
}

try {
  process.exitCode = await main();
} catch (error) {
  if (!(error instanceof StackError)) throw error;
  process.stderr.write(`error: ${error.message}\n`);
  process.stdout.write('0 passed, 1 failed\n');
  process.exitCode = 1;
}
