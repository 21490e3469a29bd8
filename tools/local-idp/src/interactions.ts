import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type Provider from 'oidc-provider';
import type { InteractionDetails } from 'oidc-provider';
import { authenticate } from './accounts.ts';
import { API_SCOPES } from './clients.ts';
import { loginForm } from './pages.ts';

// Interaction routes: the login form, and consent granted without a page, since every client of
// the local provider is a first-party client of the platform.

const MAX_FORM_BYTES = 16 * 1024;

async function readForm(request: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_FORM_BYTES) throw new Error('form body too large');
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function sendHtml(response: ServerResponse, status: number, html: string): void {
  response.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'x-frame-options': 'DENY',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
  });
  response.end(html);
}

/** Grants the scopes a first-party client requested; of the API's scopes only the business ones, never permissions. */
async function grantConsent(provider: Provider, details: InteractionDetails): Promise<string> {
  const accountId = details.session?.accountId;
  if (accountId === undefined) throw new Error('consent without a signed-in account');
  const existing = details.grantId === undefined ? undefined : await provider.Grant.find(details.grantId);
  const grant = existing ?? new provider.Grant({ accountId, clientId: details.params.client_id });
  const missing = details.prompt.details;
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    const allowed = scopes.filter((scope) => (API_SCOPES as readonly string[]).includes(scope));
    grant.addResourceScope(resource, allowed.join(' '));
  }
  return grant.save();
}

/**
 * Handles a request under /interaction/, returning false for any other path. Routes:
 * GET /interaction/{uid} shows the login form (or grants consent), POST /interaction/{uid}/login
 * checks the credentials, GET /interaction/{uid}/abort cancels the login.
 */
export async function handleInteraction(provider: Provider, logger: Logger, request: IncomingMessage, response: ServerResponse): Promise<boolean> {
  const path = new URL(request.url ?? '/', 'http://local').pathname;
  const match = /^\/interaction\/([\w-]+)(\/login|\/abort)?$/.exec(path);
  if (match === null) return false;
  const action = match[2] ?? '';

  const details = await provider.interactionDetails(request, response);
  const clientId = details.params.client_id;

  if (action === '' && request.method === 'GET') {
    if (details.prompt.name === 'consent') {
      const grantId = await grantConsent(provider, details);
      await provider.interactionFinished(request, response, { consent: { grantId } }, { mergeWithLastSubmission: true });
      return true;
    }
    sendHtml(response, 200, loginForm({ uid: details.uid, clientId }));
    return true;
  }

  if (action === '/login' && request.method === 'POST') {
    const form = await readForm(request);
    const username = form.get('username') ?? '';
    const account = authenticate(username, form.get('password') ?? '');
    if (account === undefined) {
      logger.info({ event: 'login.failed', clientId }, 'login failed: unknown username or wrong password');
      sendHtml(response, 401, loginForm({ uid: details.uid, clientId, username, error: 'Unknown username or wrong password.' }));
      return true;
    }
    logger.info({ event: 'login.succeeded', subject: account.subject, clientId }, 'login succeeded');
    await provider.interactionFinished(request, response, { login: { accountId: account.subject, amr: ['pwd'] } }, { mergeWithLastSubmission: false });
    return true;
  }

  if (action === '/abort' && request.method === 'GET') {
    await provider.interactionFinished(request, response, { error: 'access_denied', error_description: 'The user cancelled the login.' }, { mergeWithLastSubmission: false });
    return true;
  }

  sendHtml(response, 405, '<p>Method not allowed.</p>');
  return true;
}
