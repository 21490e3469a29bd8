// A small browser-like HTTP client for end-to-end tests and the demo: a cookie jar, redirects
// followed hop by hop, an Origin header on unsafe methods and HTML form submission. It runs no
// JavaScript, so it exercises only what works without it.

interface StoredCookie {
  name: string;
  value: string;
  domain: string;
  path: string;
  secure: boolean;
  httpOnly: boolean;
  sameSite: string | undefined;
  expiresAt: number | undefined;
}

export interface BrowserResponse {
  readonly status: number;
  readonly url: string;
  readonly headers: Headers;
  readonly body: string;
  /** Every URL visited, the request's own first, then each redirect target. */
  readonly redirects: string[];
  json<T = unknown>(): T;
}

export interface BrowserRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  /** A string is sent as is; an object is sent as an HTML form (application/x-www-form-urlencoded). */
  body?: string | Record<string, string>;
  /** Follows redirects like a browser (default true). */
  followRedirects?: boolean;
  /** Page the request is made from, for Origin and Referer; defaults to the request's own origin. */
  from?: string;
}

const MAX_REDIRECTS = 20;

/** Parses the attributes of one HTML start tag (no entities beyond &amp; and &quot;). */
function attributesOf(tag: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const match of tag.matchAll(/([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/g)) {
    const name = match[1]!.toLowerCase();
    const raw = match[2] ?? match[3] ?? match[4] ?? '';
    attributes[name] = raw.replace(/&quot;/g, '"').replace(/&#(\d+);/g, (_all, code: string) => String.fromCharCode(Number(code))).replace(/&amp;/g, '&');
  }
  return attributes;
}

export interface HtmlForm {
  action: string;
  method: string;
  fields: Record<string, string>;
}

/** Extracts the forms of an HTML page with their resolved action URL and their named input values. */
export function parseForms(html: string, pageUrl: string): HtmlForm[] {
  const forms: HtmlForm[] = [];
  for (const match of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const attributes = attributesOf(match[1] ?? '');
    const fields: Record<string, string> = {};
    for (const input of (match[2] ?? '').matchAll(/<input\b([^>]*)>/gi)) {
      const inputAttributes = attributesOf(input[1] ?? '');
      if (inputAttributes['name'] !== undefined) fields[inputAttributes['name']] = inputAttributes['value'] ?? '';
    }
    forms.push({ action: new URL(attributes['action'] ?? pageUrl, pageUrl).toString(), method: (attributes['method'] ?? 'get').toUpperCase(), fields });
  }
  return forms;
}

export class BrowserClient {
  #cookies: StoredCookie[] = [];
  readonly userAgent: string;

  constructor(options: { userAgent?: string } = {}) {
    this.userAgent = options.userAgent ?? 'platform-browser-client/1.0';
  }

  /** Cookies that would be sent to the URL, by name. */
  cookiesFor(url: string): Record<string, string> {
    const target = new URL(url);
    const now = Date.now();
    this.#cookies = this.#cookies.filter((cookie) => cookie.expiresAt === undefined || cookie.expiresAt > now);
    const result: Record<string, string> = {};
    // Browsers treat http://localhost as a secure context, so Secure cookies are sent there too.
    const secureContext = target.protocol === 'https:' || target.hostname === 'localhost' || target.hostname === '127.0.0.1';
    for (const cookie of this.#cookies) {
      if (cookie.domain !== target.hostname) continue;
      if (!(target.pathname === cookie.path || target.pathname.startsWith(cookie.path.endsWith('/') ? cookie.path : `${cookie.path}/`))) continue;
      if (cookie.secure && !secureContext) continue;
      result[cookie.name] = cookie.value;
    }
    return result;
  }

  /** Returns a stored cookie's attributes without its value, for assertions on cookie flags. */
  cookieAttributes(name: string): Omit<StoredCookie, 'value'> | undefined {
    const cookie = this.#cookies.find((candidate) => candidate.name === name);
    if (cookie === undefined) return undefined;
    const { value: _value, ...attributes } = cookie;
    return attributes;
  }

  setCookie(url: string, name: string, value: string): void {
    const target = new URL(url);
    this.#store({ name, value, domain: target.hostname, path: '/', secure: false, httpOnly: false, sameSite: undefined, expiresAt: undefined });
  }

  clearCookies(): void {
    this.#cookies = [];
  }

  #store(cookie: StoredCookie): void {
    this.#cookies = this.#cookies.filter((existing) => !(existing.name === cookie.name && existing.domain === cookie.domain && existing.path === cookie.path));
    if (cookie.expiresAt === undefined || cookie.expiresAt > Date.now()) this.#cookies.push(cookie);
  }

  #receive(url: string, headers: Headers): void {
    const target = new URL(url);
    for (const line of headers.getSetCookie()) {
      const [pair = '', ...attributeParts] = line.split(';');
      const separator = pair.indexOf('=');
      if (separator <= 0) continue;
      const cookie: StoredCookie = {
        name: pair.slice(0, separator).trim(),
        value: pair.slice(separator + 1).trim(),
        domain: target.hostname,
        path: '/',
        secure: false,
        httpOnly: false,
        sameSite: undefined,
        expiresAt: undefined,
      };
      let defaultPath = target.pathname.slice(0, target.pathname.lastIndexOf('/')) || '/';
      for (const part of attributeParts) {
        const [rawKey = '', ...rest] = part.split('=');
        const key = rawKey.trim().toLowerCase();
        const value = rest.join('=').trim();
        if (key === 'path' && value.startsWith('/')) defaultPath = value;
        else if (key === 'secure') cookie.secure = true;
        else if (key === 'httponly') cookie.httpOnly = true;
        else if (key === 'samesite') cookie.sameSite = value.toLowerCase();
        else if (key === 'max-age' && /^-?\d+$/.test(value)) cookie.expiresAt = Date.now() + Number(value) * 1000;
        else if (key === 'expires' && cookie.expiresAt === undefined && !Number.isNaN(Date.parse(value))) cookie.expiresAt = Date.parse(value);
      }
      cookie.path = defaultPath;
      this.#store(cookie);
    }
  }

  /** Sends a request like a browser navigation or form post, following redirects by default. */
  async request(url: string, options: BrowserRequestOptions = {}): Promise<BrowserResponse> {
    let method = (options.method ?? 'GET').toUpperCase();
    let body: string | undefined;
    const headers: Record<string, string> = { 'user-agent': this.userAgent, accept: 'text/html,application/json;q=0.9,*/*;q=0.8', ...options.headers };
    if (typeof options.body === 'string') body = options.body;
    else if (options.body !== undefined) {
      body = new URLSearchParams(options.body).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }

    let current = url;
    let from = options.from;
    const redirects: string[] = [url];
    for (let hop = 0; ; hop += 1) {
      const requestHeaders: Record<string, string> = { ...headers };
      const cookies = this.cookiesFor(current);
      const cookieHeader = Object.entries(cookies).map(([name, value]) => `${name}=${value}`).join('; ');
      if (cookieHeader !== '') requestHeaders['cookie'] = cookieHeader;
      if (from !== undefined) requestHeaders['referer'] = from;
      if (method !== 'GET' && method !== 'HEAD') requestHeaders['origin'] = new URL(from ?? current).origin;

      const response = await fetch(current, { method, headers: requestHeaders, body: method === 'GET' || method === 'HEAD' ? undefined : body, redirect: 'manual' });
      this.#receive(current, response.headers);
      const location = response.headers.get('location');
      const isRedirect = response.status >= 300 && response.status < 400 && location !== null;
      if (!isRedirect || options.followRedirects === false) {
        const text = await response.text();
        return {
          status: response.status,
          url: current,
          headers: response.headers,
          body: text,
          redirects,
          json: <T>() => JSON.parse(text) as T,
        };
      }
      await response.arrayBuffer();
      if (hop >= MAX_REDIRECTS) throw new Error(`more than ${MAX_REDIRECTS} redirects starting at ${url}`);
      // 303, and 301/302 after a POST, turn into a GET without a body, as browsers do.
      if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
        method = 'GET';
        body = undefined;
        delete headers['content-type'];
      }
      from = undefined;
      current = new URL(location, current).toString();
      redirects.push(current);
    }
  }

  /** Fills in and submits a form of the page (the first one unless an index is given), keeping its hidden fields. */
  async submitForm(page: BrowserResponse, values: Record<string, string>, formIndex = 0): Promise<BrowserResponse> {
    const form = parseForms(page.body, page.url)[formIndex];
    if (form === undefined) throw new Error(`no form number ${formIndex} on ${page.url} (status ${page.status})`);
    const fields = { ...form.fields, ...values };
    if (form.method === 'GET') {
      const target = new URL(form.action);
      for (const [name, value] of Object.entries(fields)) target.searchParams.set(name, value);
      return this.request(target.toString(), { from: page.url });
    }
    return this.request(form.action, { method: form.method, body: fields, from: page.url });
  }
}

/**
 * Logs in through an OpenID Connect provider's login form: opens the start URL (for example the
 * gateway's /auth/login), fills in the first form it lands on and follows the redirects back.
 */
export async function loginWithForm(client: BrowserClient, startUrl: string, credentials: { username: string; password: string }): Promise<BrowserResponse> {
  const loginPage = await client.request(startUrl);
  if (loginPage.status !== 200 || parseForms(loginPage.body, loginPage.url).length === 0) {
    throw new Error(`expected a login form after ${startUrl}, got status ${loginPage.status} at ${loginPage.url}`);
  }
  return client.submitForm(loginPage, credentials);
}
