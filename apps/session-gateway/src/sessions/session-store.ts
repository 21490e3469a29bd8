import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import {
  REVOKE_USER_SESSIONS_SCRIPT,
  principalTag,
  sessionKey,
  sessionKeyPrefix,
  sessionRefreshLockKey,
  userSessionIndexKey,
  userSessionTag,
  userSessionTagFromPrincipalTag,
} from '@platform/redis-keys';
import { newSession, publicSessionId, type SessionLocator } from './session-id.ts';
import {
  CREATE_SESSION_SCRIPT,
  DELETE_SESSION_SCRIPT,
  LIST_SESSIONS_SCRIPT,
  RELEASE_LOCK_SCRIPT,
  TOUCH_SESSION_SCRIPT,
  UPDATE_TOKENS_SCRIPT,
} from './scripts.ts';
import { TokenDecryptionError, type TokenCipher } from './token-cipher.ts';

export type TokenField = 'accessToken' | 'refreshToken' | 'idToken';

/** Tokens as received from the identity provider. */
export interface SessionTokens {
  readonly accessToken: string;
  readonly refreshToken?: string | undefined;
  readonly idToken?: string | undefined;
  /** Epoch ms at which the access token expires. */
  readonly accessTokenExpiresAt: number;
}

/** A loaded session. Tokens stay sealed until `openToken` is called. */
export interface Session {
  readonly locator: SessionLocator;
  readonly publicId: string;
  readonly userId: string;
  readonly createdAt: number;
  readonly lastSeenAt: number;
  readonly absoluteExpiresAt: number;
  readonly clientIp: string;
  readonly userAgent: string;
  readonly name: string | undefined;
  readonly email: string | undefined;
  readonly csrfToken: string;
  readonly accessTokenExpiresAt: number;
  readonly tokenVersion: number;
  readonly hasRefreshToken: boolean;
  readonly sealed: Readonly<Record<TokenField, string>>;
}

/** A session as the admin API lists it: never a token. */
export interface SessionSummary {
  readonly sessionId: string;
  readonly createdAt: number;
  readonly lastSeenAt: number;
  readonly expiresAt: number;
  readonly clientIp: string;
  readonly userAgent: string;
}

export interface NewSessionInput {
  readonly userId: string;
  readonly clientIp: string;
  readonly userAgent: string;
  readonly name?: string | undefined;
  readonly email?: string | undefined;
  readonly tokens: SessionTokens;
}

export interface SessionStoreOptions {
  readonly idleTimeoutMs: number;
  readonly absoluteLifetimeMs: number;
  readonly now?: () => number;
}

type ScriptRedis = Redis & {
  createSession(record: string, index: string, ...args: string[]): Promise<number>;
  touchSession(record: string, index: string, now: string, idle: string, id: string): Promise<string[] | null>;
  updateSessionTokens(record: string, ...args: string[]): Promise<number>;
  deleteSession(record: string, index: string, id: string): Promise<number>;
  listSessions(index: string, prefix: string, now: string): Promise<string[][]>;
  revokeUserSessions(index: string, prefix: string): Promise<number>;
  releaseRefreshLock(lock: string, owner: string): Promise<number>;
};

const MAX_USER_AGENT = 512;

/**
 * Sessions in Redis: one hash per session and one sorted-set index per user, under the user's hash
 * tag. Every operation is a single script on one user's keys, so no request path scans the keyspace.
 */
export class SessionStore {
  private readonly redis: ScriptRedis;
  private readonly cipher: TokenCipher;
  private readonly logger: Logger;
  private readonly idleTimeoutMs: number;
  private readonly absoluteLifetimeMs: number;
  private readonly now: () => number;

  constructor(redis: Redis, cipher: TokenCipher, logger: Logger, options: SessionStoreOptions) {
    this.redis = defineScripts(redis);
    this.cipher = cipher;
    this.logger = logger;
    this.idleTimeoutMs = options.idleTimeoutMs;
    this.absoluteLifetimeMs = options.absoluteLifetimeMs;
    this.now = options.now ?? Date.now;
  }

  /** Stores a new session with a fresh id and returns the cookie value that names it. */
  async create(input: NewSessionInput): Promise<{ session: Session; cookieValue: string }> {
    const { cookieValue, ...created } = newSession(input.userId);
    const now = this.now();
    const absoluteExpiresAt = now + this.absoluteLifetimeMs;
    const expiresAt = Math.min(absoluteExpiresAt, now + this.idleTimeoutMs);
    const csrfToken = randomBytes(32).toString('base64url');
    const fields: Record<string, string> = {
      userId: input.userId,
      createdAt: String(now),
      lastSeenAt: String(now),
      absoluteExpiresAt: String(absoluteExpiresAt),
      clientIp: input.clientIp,
      userAgent: input.userAgent.slice(0, MAX_USER_AGENT),
      name: input.name ?? '',
      email: input.email ?? '',
      csrfToken,
      tokenVersion: '1',
      ...this.sealTokens(created, input.tokens),
    };
    await this.redis.createSession(
      sessionKey(created.userTag, created.sessionId),
      userSessionIndexKey(created.userTag),
      String(now),
      String(expiresAt),
      created.sessionId,
      ...Object.entries(fields).flat(),
    );
    return { session: toSession(created, fields), cookieValue };
  }

  /**
   * Loads a live session and records this use, sliding its idle expiry. Returns undefined for an
   * unknown, expired or unreadable session; an unreadable one is deleted.
   */
  async touch(locator: SessionLocator): Promise<Session | undefined> {
    const flat = await this.redis.touchSession(
      sessionKey(locator.userTag, locator.sessionId),
      userSessionIndexKey(locator.userTag),
      String(this.now()),
      String(this.idleTimeoutMs),
      locator.sessionId,
    );
    return flat ? this.decode(locator, flat) : undefined;
  }

  /** Loads a session without recording a use or checking expiry; used while waiting for a refresh. */
  async read(locator: SessionLocator): Promise<Session | undefined> {
    const fields = await this.redis.hgetall(sessionKey(locator.userTag, locator.sessionId));
    return Object.keys(fields).length > 0 ? this.decode(locator, Object.entries(fields).flat()) : undefined;
  }

  /** Decrypts one token of a session; throws TokenDecryptionError when it cannot be read. */
  openToken(session: Session, field: TokenField): string | undefined {
    const sealed = session.sealed[field];
    if (sealed === '') return undefined;
    return this.cipher.open(sealed, associatedData(session.locator, field));
  }

  /**
   * Stores refreshed tokens, keeping the old refresh and ID tokens when the provider sent none.
   * Returns false when the session ended meanwhile.
   */
  async updateTokens(locator: SessionLocator, tokens: SessionTokens): Promise<boolean> {
    const sealed = this.sealTokens(locator, tokens);
    const fields: Record<string, string> = { accessToken: sealed.accessToken, accessTokenExpiresAt: sealed.accessTokenExpiresAt };
    if (tokens.refreshToken !== undefined) fields['refreshToken'] = sealed.refreshToken;
    if (tokens.idToken !== undefined) fields['idToken'] = sealed.idToken;
    const version = await this.redis.updateSessionTokens(sessionKey(locator.userTag, locator.sessionId), ...Object.entries(fields).flat());
    return version > 0;
  }

  /** Deletes one session; returns true when it existed. */
  async delete(locator: SessionLocator): Promise<boolean> {
    const deleted = await this.redis.deleteSession(sessionKey(locator.userTag, locator.sessionId), userSessionIndexKey(locator.userTag), locator.sessionId);
    return deleted === 1;
  }

  /** Ends every session of a user in one atomic script; returns how many sessions were ended. */
  async revokeUser(userId: string): Promise<number> {
    const tag = userSessionTag(userId);
    return this.redis.revokeUserSessions(userSessionIndexKey(tag), sessionKeyPrefix(tag));
  }

  /** Lists a user's live sessions, oldest first. */
  async listUser(userId: string): Promise<SessionSummary[]> {
    const tag = principalTag(userId);
    const userTag = userSessionTagFromPrincipalTag(tag);
    const rows = await this.redis.listSessions(userSessionIndexKey(userTag), sessionKeyPrefix(userTag), String(this.now()));
    return rows
      // The principal tag is a truncated hash: compare the stored user id so a collision can never
      // list another user's sessions.
      .filter((row) => row[1] === userId)
      .map((row) => ({
        sessionId: publicSessionId({ principalTag: tag, userTag, sessionId: row[0]! }),
        createdAt: Number(row[2]),
        lastSeenAt: Number(row[3]),
        expiresAt: Math.min(Number(row[4]), Number(row[3]) + this.idleTimeoutMs),
        clientIp: row[5] ?? '',
        userAgent: row[6] ?? '',
      }))
      .sort((a, b) => a.createdAt - b.createdAt);
  }

  /** Tries to take the refresh lock of a session; returns the owner token, or undefined when taken. */
  async acquireRefreshLock(locator: SessionLocator, lifetimeMs: number): Promise<string | undefined> {
    const owner = randomBytes(16).toString('base64url');
    const result = await this.redis.set(sessionRefreshLockKey(locator.userTag, locator.sessionId), owner, 'PX', lifetimeMs, 'NX');
    return result === 'OK' ? owner : undefined;
  }

  async releaseRefreshLock(locator: SessionLocator, owner: string): Promise<void> {
    await this.redis.releaseRefreshLock(sessionRefreshLockKey(locator.userTag, locator.sessionId), owner);
  }

  async isRefreshLocked(locator: SessionLocator): Promise<boolean> {
    return (await this.redis.exists(sessionRefreshLockKey(locator.userTag, locator.sessionId))) === 1;
  }

  private sealTokens(locator: SessionLocator, tokens: SessionTokens): Record<TokenField | 'accessTokenExpiresAt', string> {
    return {
      accessToken: this.cipher.seal(tokens.accessToken, associatedData(locator, 'accessToken')),
      refreshToken: tokens.refreshToken === undefined ? '' : this.cipher.seal(tokens.refreshToken, associatedData(locator, 'refreshToken')),
      idToken: tokens.idToken === undefined ? '' : this.cipher.seal(tokens.idToken, associatedData(locator, 'idToken')),
      accessTokenExpiresAt: String(tokens.accessTokenExpiresAt),
    };
  }

  private async decode(locator: SessionLocator, flat: string[]): Promise<Session | undefined> {
    const fields: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
    const session = toSession(locator, fields);
    try {
      // Reading the access token early turns a record sealed with a removed key into a clean logout.
      this.openToken(session, 'accessToken');
    } catch (error) {
      if (!(error instanceof TokenDecryptionError)) throw error;
      this.logger.warn({ sessionId: session.publicId, code: 'session_unreadable', reason: error.message }, 'session tokens could not be decrypted; ending the session');
      await this.delete(locator);
      return undefined;
    }
    return session;
  }
}

function toSession(locator: SessionLocator, fields: Record<string, string>): Session {
  return {
    locator,
    publicId: publicSessionId(locator),
    userId: fields['userId'] ?? '',
    createdAt: Number(fields['createdAt']),
    lastSeenAt: Number(fields['lastSeenAt']),
    absoluteExpiresAt: Number(fields['absoluteExpiresAt']),
    clientIp: fields['clientIp'] ?? '',
    userAgent: fields['userAgent'] ?? '',
    name: fields['name'] || undefined,
    email: fields['email'] || undefined,
    csrfToken: fields['csrfToken'] ?? '',
    accessTokenExpiresAt: Number(fields['accessTokenExpiresAt']),
    tokenVersion: Number(fields['tokenVersion'] ?? 0),
    hasRefreshToken: (fields['refreshToken'] ?? '') !== '',
    sealed: { accessToken: fields['accessToken'] ?? '', refreshToken: fields['refreshToken'] ?? '', idToken: fields['idToken'] ?? '' },
  };
}

function associatedData(locator: SessionLocator, field: TokenField): string {
  return `${publicSessionId(locator)}/${field}`;
}

function defineScripts(redis: Redis): ScriptRedis {
  const scripts: Array<[string, number, string]> = [
    ['createSession', 2, CREATE_SESSION_SCRIPT],
    ['touchSession', 2, TOUCH_SESSION_SCRIPT],
    ['updateSessionTokens', 1, UPDATE_TOKENS_SCRIPT],
    ['deleteSession', 2, DELETE_SESSION_SCRIPT],
    ['listSessions', 1, LIST_SESSIONS_SCRIPT],
    ['revokeUserSessions', 1, REVOKE_USER_SESSIONS_SCRIPT],
    ['releaseRefreshLock', 1, RELEASE_LOCK_SCRIPT],
  ];
  for (const [name, numberOfKeys, lua] of scripts) {
    if (!(name in redis)) redis.defineCommand(name, { numberOfKeys, lua });
  }
  return redis as ScriptRedis;
}
