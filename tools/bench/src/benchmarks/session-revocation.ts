import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { REVOKE_USER_SESSIONS_SCRIPT, sessionKey, sessionKeyPrefix, userSessionIndexKey, userSessionTag } from '@platform/redis-keys';
import { startRedisServer } from '@platform/testing';
import { atLeast, atMost, median, report } from '../report.ts';

// Revoking every session of one user, two ways, while Redis contains many other users' sessions:
//   ours:  the session gateway's script, which reads the user's index and deletes what it names;
//   naive: SCAN over all session keys, read each record's userId, delete the matches.
// Both run against one private redis-server, side by side at each size, so the ratios compare like
// with like. The target user holds 100 sessions in every trial.

const TARGET_USER = 'auth0|benchmark-target';
const TARGET_SESSIONS = 100;
const SESSIONS_PER_OTHER_USER = 2;
const SIZES = [10_000, 1_000_000];
const OURS_TRIALS = 51;
// The naive way takes seconds per run at a million sessions, so it gets fewer trials.
const NAIVE_TRIALS = 3;
const SEED_BATCH = 2_000;

// Seeding only. KEYS alternate record and index. ARGV[1] is now, ARGV[2] the expiry, then one user id
// and session id follow per record.
const SEED_SCRIPT = `
for i = 1, #KEYS, 2 do
  local n = (i + 1) / 2
  redis.call('HSET', KEYS[i], 'userId', ARGV[1 + n * 2], 'createdAt', ARGV[1], 'lastSeenAt', ARGV[1], 'absoluteExpiresAt', ARGV[2],
    'clientIp', '198.51.100.7', 'userAgent', 'Mozilla/5.0 (benchmark)', 'accessToken', 'k1.AAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB.CCCCCCCCCCCCCCCCCCCCCC')
  redis.call('PEXPIREAT', KEYS[i], ARGV[2])
  redis.call('ZADD', KEYS[i + 1], ARGV[2], ARGV[2 + n * 2])
end
return #KEYS / 2
`;

type BenchRedis = Redis & {
  seedSessions(count: number, ...args: string[]): Promise<number>;
  revokeUserSessions(index: string, prefix: string): Promise<number>;
};

export default async function sessionRevocation(): Promise<boolean> {
  const server = await startRedisServer();
  const redis = new Redis(server.url) as BenchRedis;
  redis.defineCommand('seedSessions', { lua: SEED_SCRIPT });
  redis.defineCommand('revokeUserSessions', { numberOfKeys: 1, lua: REVOKE_USER_SESSIONS_SCRIPT });

  const medians = new Map<string, number>();
  const measurements: Array<Record<string, string | number>> = [];
  try {
    let seeded = 0;
    for (const size of SIZES) {
      const started = performance.now();
      await seedOtherUsers(redis, seeded, size);
      seeded = size;
      console.log(`seeded ${size.toLocaleString('en-US')} other sessions in ${((performance.now() - started) / 1000).toFixed(1)} s (${await redis.dbsize()} keys)`);

      // Warm-up runs, so the first timed run does not pay for the incremental rehashing Redis does after a bulk insert.
      for (let i = 0; i < 3; i += 1) await revokeOurWay(redis);

      const ours: number[] = [];
      for (let trial = 0; trial < OURS_TRIALS; trial += 1) ours.push(await revokeOurWay(redis));
      const naive: number[] = [];
      for (let trial = 0; trial < NAIVE_TRIALS; trial += 1) naive.push(await revokeNaiveWay(redis));

      medians.set(`ours:${size}`, median(ours));
      medians.set(`naive:${size}`, median(naive));
      measurements.push(
        { method: 'ours (index + script)', otherSessions: size, trials: OURS_TRIALS, medianMs: round(median(ours)) },
        { method: 'naive (SCAN + filter)', otherSessions: size, trials: NAIVE_TRIALS, medianMs: round(median(naive)) },
      );
    }
  } finally {
    redis.disconnect();
    await server.stop();
  }

  const [small, large] = SIZES as [number, number];
  return report('session-revocation', measurements, [
    atMost(`ours at ${large.toLocaleString('en-US')} / ours at ${small.toLocaleString('en-US')}`, medians.get(`ours:${large}`)! / medians.get(`ours:${small}`)!, 1.3),
    atLeast(`naive / ours at ${large.toLocaleString('en-US')}`, medians.get(`naive:${large}`)! / medians.get(`ours:${large}`)!, 100),
  ]);
}

/** Adds other users' sessions until `total` exist, each user holding two, in scripted batches. */
async function seedOtherUsers(redis: BenchRedis, from: number, total: number): Promise<void> {
  const now = Date.now();
  const expiry = String(now + 3_600_000);
  const pending: Array<Promise<number>> = [];
  for (let start = from; start < total; start += SEED_BATCH) {
    const keys: string[] = [];
    const args: string[] = [String(now), expiry];
    for (let n = start; n < Math.min(start + SEED_BATCH, total); n += 1) {
      const userId = `auth0|user-${Math.floor(n / SESSIONS_PER_OTHER_USER)}`;
      const tag = userSessionTag(userId);
      const sessionId = `s${n.toString(36).padStart(42, '0')}`;
      keys.push(sessionKey(tag, sessionId), userSessionIndexKey(tag));
      args.push(userId, sessionId);
    }
    pending.push(redis.seedSessions(keys.length, ...keys, ...args));
    if (pending.length >= 8) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
}

/** Gives the target user a fresh set of sessions. Not timed. */
async function seedTarget(redis: BenchRedis): Promise<void> {
  const tag = userSessionTag(TARGET_USER);
  const expiry = String(Date.now() + 3_600_000);
  const keys: string[] = [];
  const args: string[] = [String(Date.now()), expiry];
  for (let n = 0; n < TARGET_SESSIONS; n += 1) {
    const sessionId = `t${n.toString(36).padStart(42, '0')}`;
    keys.push(sessionKey(tag, sessionId), userSessionIndexKey(tag));
    args.push(TARGET_USER, sessionId);
  }
  await redis.seedSessions(keys.length, ...keys, ...args);
}

async function revokeOurWay(redis: BenchRedis): Promise<number> {
  await seedTarget(redis);
  const tag = userSessionTag(TARGET_USER);
  const started = performance.now();
  const revoked = await redis.revokeUserSessions(userSessionIndexKey(tag), sessionKeyPrefix(tag));
  const elapsed = performance.now() - started;
  if (revoked !== TARGET_SESSIONS) throw new Error(`the script revoked ${revoked} sessions, expected ${TARGET_SESSIONS}`);
  return elapsed;
}

/** Revokes the target's sessions as an operator without the index would: walk every session key and check its owner. */
async function revokeNaiveWay(redis: BenchRedis): Promise<number> {
  await seedTarget(redis);
  const started = performance.now();
  let cursor = '0';
  let revoked = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', 'session:*', 'COUNT', 1000);
    cursor = next;
    if (keys.length === 0) continue;
    const pipeline = redis.pipeline();
    for (const key of keys) pipeline.hget(key, 'userId');
    const owners = (await pipeline.exec()) ?? [];
    const matching = keys.filter((_key, i) => owners[i]?.[1] === TARGET_USER);
    if (matching.length > 0) revoked += await redis.del(...matching);
  } while (cursor !== '0');
  await redis.del(userSessionIndexKey(userSessionTag(TARGET_USER)));
  const elapsed = performance.now() - started;
  if (revoked !== TARGET_SESSIONS) throw new Error(`the naive way revoked ${revoked} sessions, expected ${TARGET_SESSIONS}`);
  return elapsed;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
