import type { Logger } from 'pino';
import type { ServiceTokenSource } from './service-token.ts';

export type UserStatus = 'active' | 'suspended' | 'deleted';

export interface PlatformUser {
  readonly id: string;
  readonly subject: string;
  readonly status: UserStatus;
  readonly suspensionExpiresAt?: string | undefined;
}

export interface UserLookup {
  readonly subject: string;
  readonly email?: string | undefined;
  readonly displayName?: string | undefined;
}

/** The permission service could not be reached or kept failing; the login cannot be decided. */
export class UserLookupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UserLookupError';
  }
}

export interface PermissionServiceOptions {
  readonly baseUrl: string;
  readonly timeoutMs: number;
  /** Retries after the first attempt, for network errors, timeouts, 429 and 5xx. */
  readonly retries: number;
  readonly backoffMs?: number;
}

const STATUSES = new Set<string>(['active', 'suspended', 'deleted']);

/**
 * Calls the permission service's user API with the gateway's service token. Each attempt has its own
 * timeout and retries back off exponentially, so a login waits at most about
 * (retries + 1) * timeout plus the backoff before it is refused.
 */
export class PermissionServiceClient {
  private readonly options: PermissionServiceOptions;
  private readonly tokens: ServiceTokenSource;
  private readonly logger: Logger;

  constructor(options: PermissionServiceOptions, tokens: ServiceTokenSource, logger: Logger) {
    this.options = options;
    this.tokens = tokens;
    this.logger = logger;
  }

  /** Finds the platform user linked to an identity provider subject, creating it on first login. */
  async findOrCreate(lookup: UserLookup, requestId: string): Promise<PlatformUser> {
    const url = new URL('/v1/users/find-or-create', this.options.baseUrl);
    const body = JSON.stringify({ subject: lookup.subject, ...(lookup.email ? { email: lookup.email } : {}), ...(lookup.displayName ? { displayName: lookup.displayName } : {}) });
    let tokenRefreshed = false;
    let lastError: unknown;

    for (let attempt = 0; attempt <= this.options.retries; attempt += 1) {
      if (attempt > 0) await delay(this.backoff(attempt));
      let response: Response;
      try {
        const token = await this.tokens.token();
        response = await fetch(url, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json', 'x-request-id': requestId },
          body,
          signal: AbortSignal.timeout(this.options.timeoutMs),
        });
      } catch (error) {
        lastError = error;
        this.logger.warn({ err: error, attempt, code: 'user_lookup_retry' }, 'permission service call failed; retrying');
        continue;
      }

      if (response.status === 401 && !tokenRefreshed) {
        // The cached service token may have been revoked or rotated; fetch a new one once.
        await response.body?.cancel();
        this.tokens.invalidate();
        tokenRefreshed = true;
        attempt -= 1;
        continue;
      }
      if (response.status === 429 || response.status >= 500) {
        await response.body?.cancel();
        lastError = new Error(`permission service responded with status ${response.status}`);
        this.logger.warn({ status: response.status, attempt, code: 'user_lookup_retry' }, 'permission service call failed; retrying');
        continue;
      }
      if (response.status !== 200) {
        await response.body?.cancel();
        throw new UserLookupError(`permission service responded to find-or-create with status ${response.status}`);
      }
      return parseUser(await response.json());
    }
    throw new UserLookupError(`permission service failed after ${this.options.retries + 1} attempts`, { cause: lastError });
  }

  private backoff(attempt: number): number {
    const base = (this.options.backoffMs ?? 100) * 2 ** (attempt - 1);
    return base + Math.floor(Math.random() * base);
  }
}

function parseUser(value: unknown): PlatformUser {
  const user = value as Partial<PlatformUser> | null;
  if (user === null || typeof user !== 'object' || typeof user.id !== 'string' || typeof user.subject !== 'string' || typeof user.status !== 'string' || !STATUSES.has(user.status)) {
    throw new UserLookupError('permission service responded to find-or-create with an invalid body');
  }
  return {
    id: user.id,
    subject: user.subject,
    status: user.status,
    suspensionExpiresAt: typeof user.suspensionExpiresAt === 'string' ? user.suspensionExpiresAt : undefined,
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
