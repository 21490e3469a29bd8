// Lua scripts for single-session operations. Each touches one record and its user's index, both
// under the user's hash tag, so every script runs in one cluster slot. Times are epoch ms passed by
// the caller, so every replica applies the same rule with its own clock.

/**
 * Stores a new session and indexes it.
 * KEYS[1] record, KEYS[2] user index
 * ARGV[1] now, ARGV[2] expiry of the record (the earlier of idle and absolute), ARGV[3] session id,
 * ARGV[4..] field/value pairs
 */
export const CREATE_SESSION_SCRIPT = `
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
local latest = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[2], latest[2])
return 1
`;

/**
 * Loads a session and slides its idle expiry. An idle or absolutely expired session is deleted.
 * Ids of the user's other expired sessions are dropped from the index on the way.
 * KEYS[1] record, KEYS[2] user index
 * ARGV[1] now, ARGV[2] idle timeout in ms, ARGV[3] session id
 * Returns the record as a flat field/value list with the new lastSeenAt, or false.
 */
export const TOUCH_SESSION_SCRIPT = `
local now = tonumber(ARGV[1])
local idle = tonumber(ARGV[2])
local fields = redis.call('HGETALL', KEYS[1])
local absolute = nil
local lastSeen = nil
local lastSeenIndex = nil
for i = 1, #fields, 2 do
  if fields[i] == 'absoluteExpiresAt' then absolute = tonumber(fields[i + 1]) end
  if fields[i] == 'lastSeenAt' then
    lastSeen = tonumber(fields[i + 1])
    lastSeenIndex = i + 1
  end
end
if absolute == nil or lastSeen == nil or now >= absolute or now - lastSeen >= idle then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[3])
  return false
end
local expiresAt = math.min(absolute, now + idle)
redis.call('HSET', KEYS[1], 'lastSeenAt', ARGV[1])
redis.call('PEXPIREAT', KEYS[1], expiresAt)
redis.call('ZADD', KEYS[2], expiresAt, ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
local latest = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[2], latest[2])
fields[lastSeenIndex] = ARGV[1]
return fields
`;

/**
 * Replaces a session's tokens unless the session has ended meanwhile, so a refresh that finishes
 * after a revocation cannot bring the session back.
 * KEYS[1] record; ARGV field/value pairs
 * Returns the new token version, or 0 when the session no longer exists.
 */
export const UPDATE_TOKENS_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return redis.call('HINCRBY', KEYS[1], 'tokenVersion', 1)
`;

/**
 * Deletes one session and its index entry.
 * KEYS[1] record, KEYS[2] user index; ARGV[1] session id
 * Returns 1 when a record was deleted, else 0.
 */
export const DELETE_SESSION_SCRIPT = `
local deleted = redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return deleted
`;

/**
 * Lists a user's live sessions without tokens, dropping index entries whose record is gone.
 * KEYS[1] user index; ARGV[1] session key prefix, ARGV[2] now
 * Returns one list per session: id, userId, createdAt, lastSeenAt, absoluteExpiresAt, clientIp, userAgent.
 */
export const LIST_SESSIONS_SCRIPT = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
local sessions = {}
for i = 1, #ids do
  local values = redis.call('HMGET', ARGV[1] .. ids[i], 'userId', 'createdAt', 'lastSeenAt', 'absoluteExpiresAt', 'clientIp', 'userAgent')
  if values[1] then
    sessions[#sessions + 1] = { ids[i], values[1], values[2], values[3], values[4], values[5] or '', values[6] or '' }
  else
    redis.call('ZREM', KEYS[1], ids[i])
  end
end
return sessions
`;

/**
 * Releases a refresh lock only while the caller still owns it, so a holder whose lock expired cannot
 * delete the lock that another replica took since.
 * KEYS[1] lock; ARGV[1] owner token
 */
export const RELEASE_LOCK_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;
