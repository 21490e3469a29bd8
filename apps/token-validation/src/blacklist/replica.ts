import { performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { blacklistChangeStreamKey, blacklistChannel, blacklistIndexKey } from '@platform/redis-keys';
import { isActive, parseStoredEntry, rejectsPrincipalToken, toReplicaEntry, type BlacklistEntryType, type ReplicaEntry, type StoredBlacklistEntry } from './entry.ts';
import { checkEvictionPolicy, type EvictionPolicyStatus } from './eviction-policy.ts';
import { STREAM_START, compareStreamIds } from './stream-id.ts';

export type RevocationMatch = 'token_revoked' | 'user_revoked' | 'client_revoked';

/** Blacklist operations used by the validation route. */
export interface BlacklistReader {
  /** True while every revocation accepted more than the freshness bound ago is known here. */
  isFresh(): boolean;
  /** Reason the blacklist cannot be used now, or undefined when it can. */
  unavailableReason(): string | undefined;
  /**
   * Asks Redis for a confirmation now, for a request that found the copy stale. Resolves true once
   * the copy is fresh again, and false when that cannot happen within the freshness bound.
   */
  confirmFresh(): Promise<boolean>;
  check(jti: string | undefined, userId: string | undefined, clientId: string | undefined, iatSeconds: number, nowMs: number): RevocationMatch | undefined;
}

export interface BlacklistReplicaOptions {
  /** Connection for commands (loading, catch-up, INFO); it must not queue commands while offline. */
  commands: Redis;
  /** Connection used only for the subscription and its heartbeat; it must not queue commands while offline nor resubscribe by itself. */
  subscriber: Redis;
  logger: Logger;
  /** Maximum time a revocation may take to be enforced here before this instance responds 503, in ms. */
  freshnessBoundMs: number;
  /** Interval of the heartbeat on the subscriber connection, in ms; well below the bound. */
  heartbeatMs: number;
  /** Interval of the eviction-policy check, in ms (default 10000). */
  evictionCheckMs?: number;
}

const LOAD_CHUNK = 1000;
const MAX_PENDING_PINGS = 5;

/**
 * In-memory copy of the blacklist, so a request never waits for Redis.
 *
 * It subscribes to the change channel first, then loads the entries (or reads the change stream from
 * the last change it applied), then applies the changes that arrived meanwhile, in stream order. A
 * PING on the subscriber connection every `heartbeatMs` proves freshness: Redis answers it after
 * every message published before it, so when the answer to a PING sent at time T arrives, every
 * revocation accepted before T is applied here. The replica is fresh while the latest such T is
 * within `freshnessBoundMs`; a lost connection, a stalled Redis or an unfinished catch-up makes it
 * stale within that bound, and it becomes fresh again by itself once a catch-up completes.
 */
export class BlacklistReplica implements BlacklistReader {
  private readonly commands: Redis;
  private readonly subscriber: Redis;
  private readonly logger: Logger;
  private readonly boundMs: number;
  private readonly heartbeatMs: number;
  private readonly evictionCheckMs: number;
  private entries: Record<BlacklistEntryType, Map<string, ReplicaEntry>> = emptyMaps();
  private lastApplied = STREAM_START;
  private loadedOnce = false;
  private epoch = 0;
  private confirmedAt = Number.NEGATIVE_INFINITY;
  private buffering = true;
  private buffered: Array<[string, string]> = [];
  private pendingPings = 0;
  private confirming: Promise<boolean> | undefined;
  private eviction: EvictionPolicyStatus = { safe: false, detail: 'the Redis eviction policy has not been checked yet' };
  private waiters: Array<{ streamId: string; resolve: (applied: boolean) => void }> = [];
  private timers: NodeJS.Timeout[] = [];
  private closed = false;

  constructor(options: BlacklistReplicaOptions) {
    this.commands = options.commands;
    this.subscriber = options.subscriber;
    this.logger = options.logger;
    this.boundMs = options.freshnessBoundMs;
    this.heartbeatMs = options.heartbeatMs;
    this.evictionCheckMs = options.evictionCheckMs ?? 10_000;
  }

  /** Starts following Redis. Resolves at once; the replica becomes fresh when its first catch-up completes. */
  start(): void {
    this.subscriber.on('ready', () => void this.resync());
    this.subscriber.on('close', () => this.onDisconnect());
    this.subscriber.on('message', (_channel: string, message: string) => this.onMessage(message));
    if (this.subscriber.status === 'ready') void this.resync();

    this.timers.push(setInterval(() => this.heartbeat(), this.heartbeatMs));
    this.timers.push(setInterval(() => void this.refreshEvictionPolicy().catch(() => undefined), this.evictionCheckMs));
    this.timers.push(setInterval(() => this.purgeExpired(Date.now()), 30_000));
    for (const timer of this.timers) timer.unref();
    void this.refreshEvictionPolicy().catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
    for (const waiter of this.waiters) waiter.resolve(false);
    this.waiters = [];
  }

  isFresh(now: number = performance.now()): boolean {
    return this.eviction.safe && now - this.confirmedAt <= this.boundMs;
  }

  confirmFresh(): Promise<boolean> {
    if (this.isFresh()) return Promise.resolve(true);
    if (!this.eviction.safe || this.buffering || this.subscriber.status !== 'ready') return Promise.resolve(false);
    // Concurrent stale requests share one PING. Its reply arrives after every change published
    // before it, and those are applied first because they are read from the same connection.
    this.confirming ??= this.confirmOnce().finally(() => {
      this.confirming = undefined;
    });
    return this.confirming;
  }

  private confirmOnce(): Promise<boolean> {
    const epoch = this.epoch;
    const sentAt = performance.now();
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), this.boundMs);
      this.subscriber.ping().then(
        () => {
          clearTimeout(timer);
          if (epoch === this.epoch && !this.buffering) this.confirmedAt = Math.max(this.confirmedAt, sentAt);
          resolve(this.isFresh());
        },
        () => {
          clearTimeout(timer);
          resolve(false);
        },
      );
    });
  }

  unavailableReason(now: number = performance.now()): string | undefined {
    if (!this.eviction.safe) return this.eviction.detail;
    if (!this.loadedOnce) return 'the blacklist has not been loaded from Redis yet';
    const age = now - this.confirmedAt;
    if (age > this.boundMs) return `the blacklist was last confirmed current ${Math.round(age)} ms ago, over the ${this.boundMs} ms bound`;
    return undefined;
  }

  /** Checks the eviction policy now (for /readyz) and returns why the blacklist is unusable, if it is. */
  async readiness(): Promise<string | undefined> {
    await this.refreshEvictionPolicy();
    return this.unavailableReason();
  }

  // NOTE: entries are keyed by id alone, not by issuer, so a user id or jti that two trusted issuers
  // both use is revoked for both.
  check(jti: string | undefined, userId: string | undefined, clientId: string | undefined, iatSeconds: number, nowMs: number): RevocationMatch | undefined {
    if (jti !== undefined) {
      const entry = this.entries.jti.get(jti);
      if (entry !== undefined && isActive(entry, nowMs)) return 'token_revoked';
    }
    if (userId !== undefined) {
      const entry = this.entries.user.get(userId);
      if (entry !== undefined && rejectsPrincipalToken(entry, iatSeconds, nowMs)) return 'user_revoked';
    }
    if (clientId !== undefined) {
      const entry = this.entries.client.get(clientId);
      if (entry !== undefined && rejectsPrincipalToken(entry, iatSeconds, nowMs)) return 'client_revoked';
    }
    return undefined;
  }

  /** Returns every entry that still rejects a token, for the admin API. */
  activeEntries(nowMs: number = Date.now()): StoredBlacklistEntry[] {
    const active: StoredBlacklistEntry[] = [];
    for (const map of Object.values(this.entries)) {
      for (const entry of map.values()) if (isActive(entry, nowMs)) active.push(entry.stored);
    }
    return active;
  }

  /** Stream id of the last change applied here. */
  get lastAppliedId(): string {
    return this.lastApplied;
  }

  /** Resolves true once the change with this stream id (or a later one) is applied, false after `timeoutMs`. */
  waitUntilApplied(streamId: string, timeoutMs: number): Promise<boolean> {
    if (compareStreamIds(this.lastApplied, streamId) >= 0) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const waiter: { streamId: string; resolve: (applied: boolean) => void } = { streamId, resolve };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((other) => other !== waiter);
        resolve(false);
      }, timeoutMs);
      waiter.resolve = (applied: boolean) => {
        clearTimeout(timer);
        resolve(applied);
      };
      this.waiters.push(waiter);
    });
  }

  private onDisconnect(): void {
    // Replies to PINGs of the lost connection prove nothing about the next one.
    this.epoch += 1;
    this.buffering = true;
    this.buffered = [];
    this.pendingPings = 0;
  }

  private async resync(): Promise<void> {
    if (this.closed) return;
    this.epoch += 1;
    const epoch = this.epoch;
    this.buffering = true;
    this.buffered = [];
    try {
      await this.refreshEvictionPolicy();
      await this.subscriber.subscribe(blacklistChannel());
      // Everything accepted before this moment is in Redis now; what comes later arrives on the channel.
      const startedAt = performance.now();
      await this.catchUp();
      if (epoch !== this.epoch) return;
      for (const [streamId, json] of this.buffered) this.applyChange(streamId, json);
      this.buffered = [];
      this.buffering = false;
      this.confirmedAt = Math.max(this.confirmedAt, startedAt);
      this.logger.info({ lastApplied: this.lastApplied, entries: this.size() }, 'blacklist replica caught up with Redis');
    } catch (error) {
      if (epoch !== this.epoch || this.closed) return;
      this.logger.error({ err: error, code: 'blacklist_catch_up_failed' }, 'blacklist catch-up failed; retrying');
      const retry = setTimeout(() => {
        if (epoch === this.epoch && this.subscriber.status === 'ready') void this.resync();
      }, 500);
      retry.unref();
    }
  }

  private async catchUp(): Promise<void> {
    if (!this.loadedOnce || this.lastApplied === STREAM_START) return this.fullLoad();
    // Trimming removes the oldest changes first, so while the last change applied here is still in
    // the stream, every later one is too. If it is gone (trimmed, or Redis lost its data), the
    // whole blacklist is loaded again.
    const stillThere = await this.commands.xrange(blacklistChangeStreamKey(), this.lastApplied, this.lastApplied);
    if (stillThere.length === 0) return this.fullLoad();
    await this.readStreamAfter(this.lastApplied);
  }

  private async fullLoad(): Promise<void> {
    const newest = await this.commands.xrevrange(blacklistChangeStreamKey(), '+', '-', 'COUNT', 1);
    const loadedThrough = newest[0]?.[0] ?? STREAM_START;
    const nowMs = Date.now();
    const keys = await this.commands.zrangebyscore(blacklistIndexKey(), nowMs, '+inf');
    const maps = emptyMaps();
    for (let start = 0; start < keys.length; start += LOAD_CHUNK) {
      const values = await this.commands.mget(...keys.slice(start, start + LOAD_CHUNK));
      for (const json of values) {
        const stored = json === null ? undefined : parseStoredEntry(json);
        if (stored === undefined) continue;
        const entry = toReplicaEntry(stored);
        if (isActive(entry, nowMs)) maps[stored.type].set(stored.id, entry);
      }
    }
    this.entries = maps;
    this.lastApplied = loadedThrough;
    this.loadedOnce = true;
    // Changes written while the entries were read are replayed; replaying one already loaded is harmless
    // because each change carries the entry's complete state.
    await this.readStreamAfter(loadedThrough);
  }

  private async readStreamAfter(streamId: string): Promise<void> {
    let after = streamId;
    for (;;) {
      const changes = await this.commands.xrange(blacklistChangeStreamKey(), `(${after}`, '+', 'COUNT', LOAD_CHUNK);
      for (const [id, fields] of changes) {
        const json = fields[fields.indexOf('entry') + 1];
        if (json !== undefined) this.applyChange(id, json);
        after = id;
      }
      if (changes.length < LOAD_CHUNK) return;
    }
  }

  private onMessage(message: string): void {
    const space = message.indexOf(' ');
    if (space <= 0) return;
    const streamId = message.slice(0, space);
    const json = message.slice(space + 1);
    if (this.buffering) this.buffered.push([streamId, json]);
    else this.applyChange(streamId, json);
  }

  private applyChange(streamId: string, json: string): void {
    if (compareStreamIds(streamId, this.lastApplied) <= 0) return;
    this.lastApplied = streamId;
    const stored = parseStoredEntry(json);
    if (stored === undefined) {
      this.logger.error({ streamId, code: 'blacklist_change_invalid' }, 'blacklist change is not a valid entry; skipped');
    } else {
      const entry = toReplicaEntry(stored);
      if (isActive(entry, Date.now())) this.entries[stored.type].set(stored.id, entry);
      else this.entries[stored.type].delete(stored.id);
    }
    if (this.waiters.length > 0) this.releaseWaiters();
  }

  private releaseWaiters(): void {
    const waiting = this.waiters;
    this.waiters = [];
    for (const waiter of waiting) {
      if (compareStreamIds(this.lastApplied, waiter.streamId) >= 0) waiter.resolve(true);
      else this.waiters.push(waiter);
    }
  }

  private heartbeat(): void {
    if (this.subscriber.status !== 'ready' || this.buffering || this.pendingPings >= MAX_PENDING_PINGS) return;
    const epoch = this.epoch;
    const sentAt = performance.now();
    this.pendingPings += 1;
    this.subscriber.ping().then(
      () => {
        if (epoch !== this.epoch) return;
        this.pendingPings -= 1;
        if (!this.buffering) this.confirmedAt = Math.max(this.confirmedAt, sentAt);
      },
      () => {
        if (epoch === this.epoch) this.pendingPings -= 1;
      },
    );
  }

  private async refreshEvictionPolicy(): Promise<void> {
    try {
      const status = await checkEvictionPolicy(this.commands);
      if (status.safe !== this.eviction.safe && !status.safe) this.logger.error({ code: 'redis_eviction_policy_unsafe', detail: status.detail }, 'blacklist disabled: Redis may evict its entries');
      this.eviction = status;
    } catch (error) {
      // An unreachable Redis is covered by the freshness bound; the last known policy stays.
      if (this.eviction.detail.startsWith('the Redis eviction policy has not been checked')) {
        this.eviction = { safe: false, detail: `the Redis eviction policy could not be checked: ${error instanceof Error ? error.message : String(error)}` };
      }
      throw error;
    }
  }

  private purgeExpired(nowMs: number): void {
    for (const map of Object.values(this.entries)) {
      for (const [id, entry] of map) if (!isActive(entry, nowMs)) map.delete(id);
    }
  }

  private size(): number {
    return this.entries.jti.size + this.entries.user.size + this.entries.client.size;
  }
}

function emptyMaps(): Record<BlacklistEntryType, Map<string, ReplicaEntry>> {
  return { jti: new Map(), user: new Map(), client: new Map() };
}


