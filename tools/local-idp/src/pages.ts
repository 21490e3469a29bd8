import type { KoaContextWithOIDC } from 'oidc-provider';

// Plain HTML pages of the local identity provider. They load nothing from other hosts, unlike
// oidc-provider's defaults, which pull web fonts.

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

export function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:22rem;margin:3rem auto;padding:0 1rem}label,input,button{display:block;width:100%;margin:.4rem 0}input{padding:.4rem}button{padding:.5rem}.error{color:#b00020}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
${body}
</body>
</html>
`;
}

export interface LoginFormOptions {
  uid: string;
  clientId: string;
  username?: string;
  error?: string;
}

export function loginForm(options: LoginFormOptions): string {
  const error = options.error ? `<p class="error" role="alert">${escapeHtml(options.error)}</p>` : '';
  return page('Sign in', `<p>Signing in to <strong>${escapeHtml(options.clientId)}</strong> (local identity provider).</p>
${error}
<form method="post" action="/interaction/${encodeURIComponent(options.uid)}/login" autocomplete="off">
<label for="username">Username</label>
<input id="username" name="username" value="${escapeHtml(options.username ?? '')}" required autofocus>
<label for="password">Password</label>
<input id="password" name="password" type="password" required>
<button type="submit">Sign in</button>
</form>
<p><a href="/interaction/${encodeURIComponent(options.uid)}/abort">Cancel</a></p>`);
}

export async function logoutPage(ctx: KoaContextWithOIDC, form: string): Promise<void> {
  ctx.type = 'html';
  ctx.body = page('Sign out', `<p>Sign out of the local identity provider?</p>
${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes" autofocus>Yes, sign me out</button>
<button type="submit" form="op.logoutForm">No, stay signed in</button>`);
}

export async function logoutSuccessPage(ctx: KoaContextWithOIDC): Promise<void> {
  ctx.type = 'html';
  ctx.body = page('Signed out', '<p>You are signed out of the local identity provider.</p>');
}

export async function errorPage(ctx: KoaContextWithOIDC, out: Record<string, unknown>): Promise<void> {
  ctx.type = 'html';
  const lines = Object.entries(out).map(([key, value]) => `<p><strong>${escapeHtml(key)}</strong>: ${escapeHtml(String(value))}</p>`);
  ctx.body = page('Sign-in error', lines.join('\n'));
}
