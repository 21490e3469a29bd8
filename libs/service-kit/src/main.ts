import { ConfigError } from './config.ts';

/**
 * Runs a service entry point. A configuration error prints its one line to stderr and exits with
 * status 2; any other start-up failure prints one line with its message and exits with status 1.
 */
export function runMain(start: () => Promise<unknown>): void {
  start().catch((error: unknown) => {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`start-up failed: ${message}\n`);
    process.exit(1);
  });
}
