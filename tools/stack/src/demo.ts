import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, resolvePorts, stackOptionsFromEnv } from './options.ts';
import { readSecrets } from './secrets.ts';
import { issuerUrl } from './services.ts';
import { runDemo, type DemoTarget } from './demo-steps.ts';
import { stackStateFile, type StackUrls } from './stack.ts';

// `npm run demo`: walks the login-to-API path against the stack that `npm start` runs. The URLs
// come from the running stack's state file, else from the same port variables `npm start` reads.

function target(): DemoTarget {
  const options = stackOptionsFromEnv();
  const stackDir = options.stackDir ?? join(REPO_ROOT, '.stack');
  const ports = resolvePorts(options.ports);
  let urls: Pick<StackUrls, 'app' | 'api' | 'issuer'> = { app: `http://localhost:${ports.nginxApp}`, api: `http://localhost:${ports.nginxApi}`, issuer: issuerUrl(ports) };
  const stateFile = stackStateFile(stackDir);
  if (existsSync(stateFile)) urls = (JSON.parse(readFileSync(stateFile, 'utf8')) as { urls: StackUrls }).urls;
  return { appUrl: urls.app, apiUrl: urls.api, issuer: urls.issuer, m2mClientSecret: readSecrets(stackDir)?.clientSecrets['demo-m2m-client'] };
}

const demoTarget = target();
process.stdout.write(`Demo against ${demoTarget.appUrl} (browser) and ${demoTarget.apiUrl} (API)\n\n`);
try {
  await fetch(`${demoTarget.appUrl}/healthz`, { signal: AbortSignal.timeout(3_000) });
} catch {
  process.stderr.write(`error: no response from ${demoTarget.appUrl}; start the stack with \`npm start\` in another shell first\n`);
  process.exit(1);
}
const passed = await runDemo(demoTarget, (line) => process.stdout.write(`${line}\n`));
process.exit(passed ? 0 : 1);
