import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clientCredentialsToken } from '@platform/testing';
import type { RunningStack } from '../../src/stack.ts';

/**
 * Creates a temporary stack folder for one end-to-end test file. As root, PostgreSQL runs as the
 * postgres user, which must be able to enter the folder.
 */
export function createStackDir(prefix: string): { stackDir: string; remove: () => void } {
  const stackDir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(stackDir, 0o755);
  return { stackDir, remove: () => rmSync(stackDir, { recursive: true, force: true }) };
}

/** Returns the last lines of every service log in the stack folder, so a failed run explains itself. */
export function logTails(stackDir: string, lines = 20): string {
  const logDir = join(stackDir, 'logs');
  if (!existsSync(logDir)) return '';
  return readdirSync(logDir)
    .map((file) => `--- ${file}\n${readFileSync(join(logDir, file), 'utf8').trim().split('\n').slice(-lines).join('\n')}`)
    .join('\n');
}

/** Runs the client credentials grant at the stack's local identity provider. */
export function stackClientToken(running: RunningStack, clientId: string, scope: string): Promise<string> {
  return clientCredentialsToken({ tokenEndpoint: `${running.urls.issuer}/token`, clientSecrets: running.secrets.clientSecrets }, clientId, scope);
}
