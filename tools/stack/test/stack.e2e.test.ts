import { afterAll, describe, expect, it } from 'vitest';
import { runDemo } from '../src/demo-steps.ts';
import { freeStackPorts } from '../src/ports.ts';
import { startStack, type RunningStack } from '../src/stack.ts';
import { createStackDir, logTails } from './support/stack-fixture.ts';

// The whole platform as `npm start` runs it (its own Redis and PostgreSQL, migrations, real NGINX,
// the local provider and the three services), on free ports, walked through by the demo.

let stack: RunningStack | undefined;
const { stackDir, remove: removeStackDir } = createStackDir('platform-stack-e2e-');

afterAll(async () => {
  await stack?.stop();
  removeStackDir();
});

describe('local stack end to end', () => {
  it('runs the demo path and stops everything', async () => {
    const lines: string[] = [];
    stack = await startStack({ ports: await freeStackPorts(), stackDir, logLevel: 'info', installPackages: false });

    const passed = await runDemo(
      { appUrl: stack.urls.app, apiUrl: stack.urls.api, issuer: stack.urls.issuer, m2mClientSecret: stack.secrets.clientSecrets['demo-m2m-client'] },
      (line) => lines.push(line),
    );
    expect(passed, `${lines.join('\n')}\n${logTails(stackDir, 15)}`).toBe(true);
    expect(lines.join('\n')).toContain('"userId":"alice"');

    const { urls } = stack;
    await stack.stop();
    stack = undefined;
    for (const url of [urls.app, urls.api, urls.issuer, urls.sessionGateway, urls.tokenValidation, urls.permissionService, urls.sampleBackend]) {
      await expect(fetch(`${url}/healthz`), url).rejects.toThrow();
    }
  });
});
