// Return paths after login and logout come from the browser, so they are an open-redirect vector.
// Only a plain same-origin path is kept; anything else becomes `/`. The check runs when the login
// starts and again at the callback, so a stored value is never trusted on its own.

const MAX_LENGTH = 2048;
// Characters allowed in a path and query by RFC 3986, with `%` for percent-encoding. Backslashes,
// whitespace, control characters and non-ASCII are rejected because browsers treat them unevenly.
const SAFE_CHARACTERS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/?%#]*$/;

/** Returns `raw` when it is a same-origin path for `publicOrigin`, else `/`. */
export function safeReturnPath(raw: unknown, publicOrigin: string): string {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_LENGTH) return '/';
  if (!SAFE_CHARACTERS.test(raw)) return '/';

  // A percent-encoded `//`, `\` or whitespace in the path becomes a host once a server or browser
  // decodes it, so the path (not the query or fragment) must stay plain through every decoding step.
  let path = raw.split(/[?#]/, 1)[0]!;
  for (let round = 0; round < 4; round += 1) {
    if (!isPlainPath(path)) return '/';
    let decoded: string;
    try {
      decoded = decodeURIComponent(path);
    } catch {
      return '/';
    }
    if (decoded === path) break;
    path = decoded;
  }
  if (!isPlainPath(path)) return '/';

  const resolved = new URL(raw, publicOrigin);
  return resolved.origin === publicOrigin ? raw : '/';
}

function isPlainPath(path: string): boolean {
  return path.startsWith('/') && !path.startsWith('//') && !path.startsWith('/\\') && !/[\\\s\u0000-\u001f\u007f]/.test(path);
}
