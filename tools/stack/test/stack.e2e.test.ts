import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runDemo } from '../src/demo-steps.ts';
import { freeStackPorts } from '../src/ports.ts';
import { startStack, type RunningStack } from '../src/stack.ts';

// The whole platform as `npm start` runs it (its own Redis and PostgreSQL, migrations, real NGINX,
// the local provider and the three services), on free ports, walked through by the demo.

let stack: RunningStack | undefined;
const stackDir = mkdtempSync(join(tmpdir(), 'platform-stack-e2e-'));
// As root, PostgreSQL runs as the postgres user, which must be able to enter the stack folder.
chmodSync(stackDir, 0o755);

afterAll(async () => {
  await stack?.stop();
  rmSync(stackDir, { recursive: true, force: true });
});

/** Last lines of every service log, so a failed run explains itself. */
function logTails(): string {
  const logDir = join(stackDir, 'logs');
  if (!existsSync(logDir)) return '';
  return readdirSync(logDir)
    .map((file) => `--- ${file}\n${readFileSync(join(logDir, file), 'utf8').trim().split('\n').slice(-15).join('\n')}`)
    .join('\n');
}

describe('local stack end to end', () => {
  it('runs the demo path and stops everything', async () => {
    const lines: string[] = [];
    stack = await startStack({ ports: await freeStackPorts(), stackDir, logLevel: 'info', installPackages: false });

    const passed = await runDemo(
      { appUrl: stack.urls.app, apiUrl: stack.urls.api, issuer: stack.urls.issuer, m2mClientSecret: stack.secrets.clientSecrets['demo-m2m-client'] },
      (line) => lines.push(line),
    );
    expect(passed, `${lines.join('\n')}\n${logTails()}`).toBe(true);
    expect(lines.join('\n')).toContain('"userId":"alice"');

    const { urls } = stack;
    await stack.stop();
    stack = undefined;
    for (const url of [urls.app, urls.api, urls.issuer, urls.sessionGateway, urls.tokenValidation, urls.permissionService, urls.sampleBackend]) {
      await expect(fetch(`${url}/healthz`), url).rejects.toThrow();
    }
  });
});
