import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { freePort, waitFor } from './ports.ts';

/** Entry point of the local OpenID Connect provider in this repository. */
export const LOCAL_IDP_MAIN = join(import.meta.dirname, '..', '..', '..', 'tools', 'local-idp', 'src', 'main.ts');

export interface LocalIdpProcess {
  readonly issuer: string;
  readonly jwksUri: string;
  readonly tokenEndpoint: string;
  readonly audience: string;
  /** Secrets of the registered clients: session-gateway, demo-m2m-client, platform-admin-cli, session-gateway-service. */
  readonly clientSecrets: Record<string, string>;
  stop(): Promise<void>;
}

export interface LocalIdpProcessOptions {
  /** Browser-facing origin of the session gateway under test; its /auth/callback becomes a redirect URI. */
  appOrigin?: string;
  /** Extra environment, such as LOCAL_IDP_ACCESS_TOKEN_TTL=5 for short-lived tokens. */
  env?: Record<string, string>;
}

/**
 * Starts the local OpenID Connect provider (tools/local-idp) as a child process on a free port,
 * for tests of apps, which may not import tools. Its users are alice/alice-password and
 * admin/admin-password.
 */
export async function startLocalIdpProcess(options: LocalIdpProcessOptions = {}): Promise<LocalIdpProcess> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const clientSecrets: Record<string, string> = {};
  for (const clientId of ['session-gateway', 'demo-m2m-client', 'platform-admin-cli', 'session-gateway-service']) {
    clientSecrets[clientId] = randomBytes(24).toString('base64url');
  }
  const child: ChildProcess = spawn(process.execPath, [LOCAL_IDP_MAIN], {
    env: {
      ...process.env,
      LOCAL_IDP_ISSUER: issuer,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOCAL_IDP_CLIENT_SECRETS: JSON.stringify(clientSecrets),
      LOCAL_IDP_APP_ORIGIN: options.appOrigin ?? 'http://localhost:8000',
      LOG_LEVEL: process.env['LOCAL_IDP_LOG_LEVEL'] ?? 'warn',
      ...options.env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await exited;
  };
  try {
    await waitFor(async () => {
      if (child.exitCode !== null) return true;
      return (await fetch(`${issuer}/.well-known/openid-configuration`)).ok;
    }, `local identity provider on port ${port}`, 30_000);
  } catch (error) {
    await stop();
    throw new Error(`local identity provider did not start: ${stderr.trim() || (error as Error).message}`);
  }
  if (child.exitCode !== null) throw new Error(`local identity provider exited at start: ${stderr.trim()}`);
  return { issuer, jwksUri: `${issuer}/jwks`, tokenEndpoint: `${issuer}/token`, audience: 'urn:platform:api', clientSecrets, stop };
}

/** Gets an access token with the client-credentials grant, for M2M and admin tests. */
export async function clientCredentialsToken(idp: Pick<LocalIdpProcess, 'tokenEndpoint' | 'clientSecrets'>, clientId: string, scope?: string): Promise<string> {
  const secret = idp.clientSecrets[clientId];
  if (secret === undefined) throw new Error(`unknown client ${clientId}`);
  const body = new URLSearchParams({ grant_type: 'client_credentials' });
  if (scope !== undefined) body.set('scope', scope);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  // The local provider registers the gateway's clients for client_secret_post and the others for HTTP Basic.
  if (clientId.startsWith('session-gateway')) {
    body.set('client_id', clientId);
    body.set('client_secret', secret);
  } else {
    headers['authorization'] = `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
  }
  const response = await fetch(idp.tokenEndpoint, { method: 'POST', headers, body });
  const payload = (await response.json()) as { access_token?: string; error?: string; error_description?: string };
  if (!response.ok || payload.access_token === undefined) throw new Error(`client credentials grant for ${clientId} failed: ${payload.error ?? response.status} ${payload.error_description ?? ''}`.trim());
  return payload.access_token;
}
