import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLIENT_IDS, completeClientSecrets, type ClientSecrets } from '@platform/local-idp';
import { StackError } from './errors.ts';

// Local secrets, generated at first start into the stack folder (git-ignored) with mode 0600, so
// that sessions and tokens keep working across restarts of the stack.

export interface StackSecrets {
  /** AES-256 key of session-gateway's session records, base64. */
  sessionEncryptionKey: string;
  clientSecrets: ClientSecrets;
}

function isStackSecrets(value: unknown): value is StackSecrets {
  const secrets = value as StackSecrets;
  return typeof value === 'object' && value !== null && typeof secrets.sessionEncryptionKey === 'string'
    && Buffer.from(secrets.sessionEncryptionKey, 'base64').length === 32
    && typeof secrets.clientSecrets === 'object' && secrets.clientSecrets !== null
    && CLIENT_IDS.every((clientId) => typeof secrets.clientSecrets[clientId] === 'string');
}

export function secretsFile(stackDir: string): string {
  return join(stackDir, 'secrets.json');
}

export function loadOrCreateSecrets(stackDir: string): StackSecrets {
  const file = secretsFile(stackDir);
  if (existsSync(file)) {
    const stored: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (!isStackSecrets(stored)) throw new StackError(`invalid secrets file ${file}; delete it to generate new local secrets`);
    return stored;
  }
  const secrets: StackSecrets = { sessionEncryptionKey: randomBytes(32).toString('base64'), clientSecrets: completeClientSecrets() };
  mkdirSync(stackDir, { recursive: true });
  writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  return secrets;
}

/** Reads the secrets of a stack started earlier, for the demo; undefined when there are none. */
export function readSecrets(stackDir: string): StackSecrets | undefined {
  const file = secretsFile(stackDir);
  if (!existsSync(file)) return undefined;
  const stored: unknown = JSON.parse(readFileSync(file, 'utf8'));
  return isStackSecrets(stored) ? stored : undefined;
}
