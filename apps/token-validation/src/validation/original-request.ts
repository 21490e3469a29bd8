/** The request NGINX is authorizing, from X-Original-Method and X-Original-URI. */
export type OriginalRequest = { ok: true; method: string; path: string } | { ok: false; reason: string };

const METHOD = /^[A-Z]{1,16}$/;

/**
 * Reads the original method and path. The URI comes from NGINX's `$request_uri`, which is not
 * normalised, so the path is decoded and its dot segments and repeated slashes are resolved the way
 * NGINX does before routing; otherwise `/api/open/../admin` would be matched against the rule for
 * `/api/open` while NGINX serves `/api/admin`.
 */
export function originalRequest(method: string | undefined, uri: string | undefined): OriginalRequest {
  if (method === undefined || uri === undefined) return { ok: false, reason: 'original_request_missing' };
  if (!METHOD.test(method)) return { ok: false, reason: 'original_method_invalid' };
  const path = normalisePath(uri);
  if (path === undefined) return { ok: false, reason: 'original_uri_invalid' };
  return { ok: true, method, path };
}

export function normalisePath(uri: string): string | undefined {
  let end = uri.length;
  const query = uri.indexOf('?');
  if (query >= 0) end = query;
  const fragment = uri.indexOf('#');
  if (fragment >= 0 && fragment < end) end = fragment;
  const raw = uri.slice(0, end);
  if (!raw.startsWith('/') || raw.length > 4096) return undefined;
  if (!raw.includes('%') && !raw.includes('//') && !raw.includes('/.')) return raw;

  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return undefined;
  }
  if (/[\u0000-\u001f\u007f]/.test(decoded)) return undefined;
  const segments: string[] = [];
  for (const segment of decoded.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (segments.length === 0) return undefined;
      segments.pop();
      continue;
    }
    segments.push(segment);
  }
  const trailingSlash = decoded.endsWith('/') || decoded.endsWith('/.') || decoded.endsWith('/..');
  return `/${segments.join('/')}${trailingSlash && segments.length > 0 ? '/' : ''}`;
}
