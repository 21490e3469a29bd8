// A minimal browser for tests: a cookie jar per origin, manual redirects, and the login form of the
// test provider. Cookie attributes other than expiry are recorded but not enforced.

export interface StoredCookie {
  readonly value: string;
  readonly attributes: string[];
}

export class Browser {
  private readonly jar = new Map<string, Map<string, StoredCookie>>();
  readonly userAgent: string;

  constructor(userAgent = 'test-browser/1.0') {
    this.userAgent = userAgent;
  }

  /** Sends one request with this browser's cookies and stores the cookies it sets. */
  async request(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Response> {
    const origin = new URL(url).origin;
    const headers: Record<string, string> = { 'user-agent': this.userAgent, ...init.headers };
    const cookieHeader = this.cookieHeader(origin);
    if (cookieHeader !== '' && headers['cookie'] === undefined) headers['cookie'] = cookieHeader;
    const response = await fetch(url, { method: init.method ?? 'GET', headers, body: init.body, redirect: 'manual' });
    this.store(origin, response.headers.getSetCookie());
    return response;
  }

  cookieHeader(origin: string): string {
    return [...(this.jar.get(origin) ?? new Map<string, StoredCookie>()).entries()].map(([name, cookie]) => `${name}=${cookie.value}`).join('; ');
  }

  cookie(origin: string, name: string): StoredCookie | undefined {
    return this.jar.get(origin)?.get(name);
  }

  setCookie(origin: string, name: string, value: string): void {
    const cookies = this.jar.get(origin) ?? new Map<string, StoredCookie>();
    cookies.set(name, { value, attributes: [] });
    this.jar.set(origin, cookies);
  }

  deleteCookie(origin: string, name: string): void {
    this.jar.get(origin)?.delete(name);
  }

  /**
   * Starts a login at the gateway and follows it through the provider's login form. Returns the
   * gateway's answer to the callback (normally a 303 to the return path, with the session cookie).
   */
  async login(gatewayUrl: string, user: string, password: string, returnTo?: string): Promise<Response> {
    const start = `${gatewayUrl}/auth/login${returnTo === undefined ? '' : `?returnTo=${encodeURIComponent(returnTo)}`}`;
    const redirect = await this.request(start);
    if (redirect.status !== 302) throw new Error(`login start answered ${redirect.status}`);
    const callback = await this.authorize(redirect.headers.get('location')!, user, password);
    return this.request(callback);
  }

  /**
   * Follows an authorization URL through the provider, posting the login form, and returns the
   * callback URL the provider redirects to, without requesting it.
   */
  async authorize(authorizationUrl: string, user: string, password: string): Promise<string> {
    let url = authorizationUrl;
    for (let hop = 0; hop < 15; hop += 1) {
      if (new URL(url).pathname.endsWith('/auth/callback')) return url;
      let response = await this.request(url);
      if (response.status === 200 && new URL(url).pathname.startsWith('/interaction/')) {
        await response.body?.cancel();
        const formAction = `${new URL(url).origin}${new URL(url).pathname}/login`;
        response = await this.request(formAction, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ login: user, password }).toString(),
        });
      }
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || location === null) {
        throw new Error(`authorization stopped at ${url} with ${response.status}: ${await response.text()}`);
      }
      await response.body?.cancel();
      url = new URL(location, url).href;
    }
    throw new Error('authorization did not reach the callback within 15 redirects');
  }

  private store(origin: string, setCookies: string[]): void {
    for (const header of setCookies) {
      const [pair, ...attributes] = header.split(';').map((part) => part.trim());
      const separator = pair!.indexOf('=');
      const name = pair!.slice(0, separator);
      const value = pair!.slice(separator + 1);
      const cookies = this.jar.get(origin) ?? new Map<string, StoredCookie>();
      const expired = value === '' || attributes.some((attribute) => /^max-age=0$/i.test(attribute));
      if (expired) cookies.delete(name);
      else cookies.set(name, { value, attributes });
      this.jar.set(origin, cookies);
    }
  }
}

/** Parses one Set-Cookie header into its name, value and lower-cased attributes. */
export function parseSetCookie(header: string): { name: string; value: string; attributes: Map<string, string> } {
  const [pair, ...rest] = header.split(';').map((part) => part.trim());
  const separator = pair!.indexOf('=');
  const attributes = new Map<string, string>();
  for (const attribute of rest) {
    const equals = attribute.indexOf('=');
    if (equals < 0) attributes.set(attribute.toLowerCase(), '');
    else attributes.set(attribute.slice(0, equals).toLowerCase(), attribute.slice(equals + 1));
  }
  return { name: pair!.slice(0, separator), value: pair!.slice(separator + 1), attributes };
}
