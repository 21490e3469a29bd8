import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpProblem, sendProblem } from '@platform/service-kit';

/** URL of the login route, given to clients that must send the user through a login. */
export function loginUrl(publicOrigin: string): string {
  return `${publicOrigin}/auth/login`;
}

/** 401 problem telling the client to start a login, and clearing a dead session cookie. */
export function loginRequired(publicOrigin: string, detail: string, code = 'login_required'): HttpProblem {
  return new HttpProblem(401, code, detail, { extensions: { loginUrl: loginUrl(publicOrigin) } });
}

function prefersHtml(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  return accept.includes('text/html');
}

/**
 * Sends a short HTML page to a browser navigation and problem+json to an API client. Used for
 * rejected logins, whose callback arrives as a top-level navigation from the identity provider.
 */
export function sendLoginPage(request: FastifyRequest, reply: FastifyReply, problem: HttpProblem, heading: string, publicOrigin: string): FastifyReply {
  if (!prefersHtml(request)) return sendProblem(reply, problem);
  const page = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(heading)}</title><meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body>
<main>
<h1>${escapeHtml(heading)}</h1>
<p>${escapeHtml(problem.message)}</p>
<p>Reference: <code>${escapeHtml(String(request.id))}</code> (${escapeHtml(problem.code)})</p>
<p><a href="${escapeHtml(publicOrigin)}/">Back to the start page</a></p>
</main>
</body>
</html>
`;
  return reply
    .code(problem.status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('content-security-policy', "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
    .send(page);
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}
