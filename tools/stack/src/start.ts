import { StackError } from './errors.ts';
import { stackOptionsFromEnv } from './options.ts';
import { startStack, type RunningStack } from './stack.ts';

// `npm start`: runs the whole platform in the foreground until Ctrl-C.

function printSummary(stack: RunningStack): void {
  const { urls } = stack;
  const lines = [
    '',
    'The platform is running.',
    '',
    `  Browser entry (NGINX -> session-gateway)   ${urls.app}/auth/login`,
    `  Who am I                                   ${urls.app}/auth/me`,
    `  API through the gateway                    ${urls.app}/api/transactions`,
    `  API for bearer tokens (NGINX)              ${urls.api}/api/transactions`,
    `  Identity provider (issuer)                 ${urls.issuer}`,
    `  session-gateway                            ${urls.sessionGateway}`,
    `  token-validation                           ${urls.tokenValidation}`,
    `  permission-service                         ${urls.permissionService}`,
    `  sample backend                             ${urls.sampleBackend}`,
    '',
    '  Demo logins: alice / alice-password (user), admin / admin-password (administrator)',
    `  Client secrets (local only): ${stack.stackDir}/secrets.json`,
    `  Logs: ${stack.stackDir}/logs/`,
    '',
    'Run `npm run demo` in another shell to walk the login-to-API path. Press Ctrl-C to stop.',
    '',
  ];
  process.stdout.write(lines.join('\n'));
}

async function main(): Promise<void> {
  const log = (line: string) => process.stdout.write(`[stack] ${line}\n`);
  let stack: RunningStack | undefined;
  let stopping = false;
  // NOTE: a signal during the start exits at once. The exit handler then kills the started
  // processes without their graceful stop, and a PostgreSQL server left running stops at the next start.
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal} received; stopping everything the stack started`);
    void (stack?.stop() ?? Promise.resolve()).then(() => {
      log('stopped');
      process.exit(0);
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));

  try {
    const options = { ...stackOptionsFromEnv(), output: process.env['STACK_OUTPUT'] === 'files' ? ('files' as const) : ('inherit' as const) };
    stack = await startStack(options, log);
  } catch (error) {
    if (error instanceof StackError) {
      process.stderr.write(`error: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  if (stopping) {
    await stack.stop();
    return;
  }
  printSummary(stack);
}

await main();
