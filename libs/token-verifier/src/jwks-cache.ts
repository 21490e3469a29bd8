import { performance } from 'node:perf_hooks';
import { importJWK, type CryptoKey, type JWK } from 'jose';
import { keyFitsAlgorithm } from './algorithms.ts';

export interface JwksCacheOptions {
  /** Minimum time between two fetches caused by an unknown `kid`, in ms (default 30000). */
  cooldownMs?: number;
  /** Interval of the background refresh started by `start()`, in ms (default 600000). */
  maxAgeMs?: number;
  /** Timeout of one JWKS request, in ms (default 5000). */
  timeoutMs?: number;
  /** Largest JWKS document accepted, in bytes (default 512 KiB). */
  maxResponseBytes?: number;
  /** Delay between attempts while no key set was ever loaded, in ms (default 2000). */
  initialRetryMs?: number;
}

/** Why a key could not be found: the `kid` is not in the key set, or no key set was ever loaded. */
export class KeyLookupError extends Error {
  readonly reason: 'unknown_key' | 'jwks_unavailable';

  constructor(reason: 'unknown_key' | 'jwks_unavailable', message: string) {
    super(message);
    this.name = 'KeyLookupError';
    this.reason = reason;
  }
}

interface CachedKey {
  readonly jwk: JWK;
  readonly imported: Map<string, Promise<CryptoKey>>;
}

/**
 * Public signing keys of one issuer, fetched only from its configured JWKS address.
 *
 * - An unknown `kid` causes at most one fetch per cooldown; callers that miss while a fetch is in
 *   flight wait for that fetch instead of starting another.
 * - A failed fetch keeps every key already loaded; only a successful fetch replaces the set, so a
 *   key the issuer removed stops verifying after the next successful fetch.
 * - Redirects are refused, so the keys cannot come from another address than the configured one.
 */
export class JwksCache {
  readonly jwksUri: string;
  private readonly cooldownMs: number;
  private readonly maxAgeMs: number;
  private readonly timeoutMs: number;
  private readonly maxResponseBytes: number;
  private readonly initialRetryMs: number;
  private keys = new Map<string, CachedKey>();
  private everLoaded = false;
  private lastFetchStartedAt = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<void> | undefined;
  private fetchCount = 0;
  private lastError: string | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(jwksUri: string, options: JwksCacheOptions = {}) {
    this.jwksUri = jwksUri;
    this.cooldownMs = options.cooldownMs ?? 30_000;
    this.maxAgeMs = options.maxAgeMs ?? 600_000;
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.maxResponseBytes = options.maxResponseBytes ?? 512 * 1024;
    this.initialRetryMs = options.initialRetryMs ?? 2_000;
  }

  /** Number of JWKS requests made so far. */
  get fetches(): number {
    return this.fetchCount;
  }

  /** True once a key set was loaded; it stays true because failed fetches keep the keys. */
  get loaded(): boolean {
    return this.everLoaded;
  }

  /** Message of the last failed fetch, for logs and readiness details. */
  get lastFailure(): string | undefined {
    return this.lastError;
  }

  /** Kids currently known. */
  kids(): string[] {
    return [...this.keys.keys()];
  }

  /**
   * Loads the key set now and keeps it fresh in the background: retried every `initialRetryMs`
   * until the first success, then refreshed every `maxAgeMs`. Timers do not keep the process alive.
   */
  start(): void {
    if (this.timer !== undefined) return;
    const schedule = () => {
      this.timer = setTimeout(tick, this.everLoaded ? this.maxAgeMs : this.initialRetryMs);
      this.timer.unref();
    };
    const tick = () => {
      this.refresh().catch(() => undefined).finally(schedule);
    };
    tick();
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Returns the key for `kid` usable with `alg`, fetching the key set when the rules allow it. */
  async getKey(kid: string, alg: string): Promise<CryptoKey> {
    // A caller that waited for a fetch in flight never starts another one: that fetch was its refetch.
    if (this.inFlight !== undefined) {
      await this.inFlight.catch(() => undefined);
      return this.lookup(kid, alg) ?? this.missing();
    }
    const known = this.lookup(kid, alg);
    if (known !== undefined) return known;

    if (performance.now() - this.lastFetchStartedAt >= this.cooldownMs) {
      await this.refresh().catch(() => undefined);
      const fetched = this.lookup(kid, alg);
      if (fetched !== undefined) return fetched;
    }
    return this.missing();
  }

  /** Fetches the key set; concurrent calls share one request. Rejects when the fetch fails. */
  refresh(): Promise<void> {
    if (this.inFlight !== undefined) return this.inFlight;
    this.lastFetchStartedAt = performance.now();
    this.fetchCount += 1;
    const fetching = this.fetchKeys().then(
      (keys) => {
        this.keys = keys;
        this.everLoaded = true;
        this.lastError = undefined;
      },
      (error: unknown) => {
        this.lastError = error instanceof Error ? error.message : String(error);
        throw error;
      },
    ).finally(() => {
      this.inFlight = undefined;
    });
    this.inFlight = fetching;
    return fetching;
  }

  private missing(): never {
    if (!this.everLoaded) throw new KeyLookupError('jwks_unavailable', `the key set of ${this.jwksUri} could not be loaded`);
    throw new KeyLookupError('unknown_key', 'no key in the issuer key set matches the token kid and algorithm');
  }

  private lookup(kid: string, alg: string): Promise<CryptoKey> | undefined {
    const cached = this.keys.get(kid);
    if (cached === undefined || !keyFitsAlgorithm(cached.jwk, alg)) return undefined;
    let imported = cached.imported.get(alg);
    if (imported === undefined) {
      imported = importJWK(cached.jwk, alg) as Promise<CryptoKey>;
      cached.imported.set(alg, imported);
    }
    return imported;
  }

  private async fetchKeys(): Promise<Map<string, CachedKey>> {
    const response = await fetch(this.jwksUri, {
      redirect: 'error',
      signal: AbortSignal.timeout(this.timeoutMs),
      headers: { accept: 'application/json, application/jwk-set+json' },
    });
    if (!response.ok) throw new Error(`JWKS request to ${this.jwksUri} failed with status ${response.status}`);
    const declared = Number(response.headers.get('content-length') ?? '0');
    if (declared > this.maxResponseBytes) throw new Error(`JWKS from ${this.jwksUri} is larger than ${this.maxResponseBytes} bytes`);
    const text = await response.text();
    if (Buffer.byteLength(text, 'utf8') > this.maxResponseBytes) throw new Error(`JWKS from ${this.jwksUri} is larger than ${this.maxResponseBytes} bytes`);
    return parseKeySet(text, this.jwksUri);
  }
}

/** Keeps the usable public signing keys of a JWKS document, by kid. */
function parseKeySet(text: string, source: string): Map<string, CachedKey> {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw new Error(`JWKS from ${source} is not valid JSON`);
  }
  const list = typeof document === 'object' && document !== null ? (document as { keys?: unknown }).keys : undefined;
  if (!Array.isArray(list)) throw new Error(`JWKS from ${source} has no "keys" array`);

  const keys = new Map<string, CachedKey>();
  for (const candidate of list) {
    const jwk = publicSigningKey(candidate);
    if (jwk !== undefined && !keys.has(jwk.kid!)) keys.set(jwk.kid!, { jwk, imported: new Map() });
  }
  return keys;
}

/**
 * Returns only the public members of an asymmetric signing key with a kid, or undefined. Symmetric
 * keys, private keys and keys meant for encryption are skipped; certificate chains and URLs in the
 * JWK (`x5c`, `x5u`) are dropped, never followed.
 */
function publicSigningKey(candidate: unknown): JWK | undefined {
  if (typeof candidate !== 'object' || candidate === null || Array.isArray(candidate)) return undefined;
  const jwk = candidate as Record<string, unknown>;
  if (typeof jwk['kid'] !== 'string' || jwk['kid'] === '' || jwk['kid'].length > 256) return undefined;
  if (jwk['use'] !== undefined && jwk['use'] !== 'sig') return undefined;
  if (jwk['key_ops'] !== undefined && !(Array.isArray(jwk['key_ops']) && jwk['key_ops'].includes('verify'))) return undefined;
  if (jwk['d'] !== undefined) return undefined;
  const alg = typeof jwk['alg'] === 'string' ? jwk['alg'] : undefined;

  switch (jwk['kty']) {
    case 'RSA':
      if (typeof jwk['n'] !== 'string' || typeof jwk['e'] !== 'string') return undefined;
      return { kty: 'RSA', kid: jwk['kid'], n: jwk['n'], e: jwk['e'], ...(alg ? { alg } : {}) };
    case 'EC':
      if (typeof jwk['crv'] !== 'string' || typeof jwk['x'] !== 'string' || typeof jwk['y'] !== 'string') return undefined;
      return { kty: 'EC', kid: jwk['kid'], crv: jwk['crv'], x: jwk['x'], y: jwk['y'], ...(alg ? { alg } : {}) };
    case 'OKP':
      if (typeof jwk['crv'] !== 'string' || typeof jwk['x'] !== 'string') return undefined;
      return { kty: 'OKP', kid: jwk['kid'], crv: jwk['crv'], x: jwk['x'], ...(alg ? { alg } : {}) };
    default:
      return undefined;
  }
}
