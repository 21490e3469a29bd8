// Lua scripts that change the blacklist. Each runs atomically. It reads the entry, merges the change,
// writes the entry and its index score, then appends the resulting entry to the change stream and
// publishes it. So instances see changes in stream order, and a refused write changes nothing.
//
// KEYS[1] entry key, KEYS[2] index (sorted set of entry keys by expiry), KEYS[3] change stream.
// The published message is "<stream id> <entry JSON>".

const WRITE_ENTRY = `
local function write(entry, now)
  local json = cjson.encode(entry)
  if entry.expiresAt == -1 then
    redis.call('SET', KEYS[1], json)
    redis.call('ZADD', KEYS[2], '+inf', KEYS[1])
  else
    redis.call('SET', KEYS[1], json, 'PXAT', string.format('%d', entry.expiresAt))
    redis.call('ZADD', KEYS[2], string.format('%d', entry.expiresAt), KEYS[1])
  end
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. string.format('%d', now))
  local streamId = redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[1], '*', 'entry', json)
  redis.call('PUBLISH', ARGV[2], streamId .. ' ' .. json)
  return streamId, json
end
`;

/**
 * Merges a revocation into an entry. A cut-off and a suspension end only move forward, and an
 * indefinite suspension stays indefinite, whatever order revocations arrive in. A revocation not
 * newer than the entry's last lift is ignored.
 *
 * ARGV: 1 stream max length, 2 channel, 3 type, 4 id, 5 revokedAt, 6 notBefore or '', 7 until or '',
 * 8 '1' for indefinite, 9 jti expiry or '', 10 reason or '', 11 retention ms, 12 now ms.
 * Returns {stream id or '', outcome, entry JSON or ''}.
 */
export const REVOKE_SCRIPT = `${WRITE_ENTRY}
local revokedAt = tonumber(ARGV[5])
local retention = tonumber(ARGV[11])
local now = tonumber(ARGV[12])
local current = redis.call('GET', KEYS[1])
local entry
if current then
  entry = cjson.decode(current)
else
  entry = { type = ARGV[3], id = ARGV[4], revokedAt = 0, liftedAt = 0 }
end
if revokedAt <= entry.liftedAt then
  return { '', 'older_than_lift', current or '' }
end
if revokedAt > entry.revokedAt then entry.revokedAt = revokedAt end
if ARGV[10] ~= '' then entry.reason = ARGV[10] end

local expiresAt
if ARGV[3] == 'jti' then
  local requested = revokedAt + retention
  if ARGV[9] ~= '' then requested = tonumber(ARGV[9]) end
  expiresAt = math.max(entry.expiresAt or 0, requested)
else
  if ARGV[6] ~= '' then entry.notBefore = math.max(entry.notBefore or 0, tonumber(ARGV[6])) end
  if ARGV[7] ~= '' then entry['until'] = math.max(entry['until'] or 0, tonumber(ARGV[7])) end
  if ARGV[8] == '1' then entry.indefinite = true end
  if entry.indefinite then
    expiresAt = -1
  else
    local cutoff = math.max(entry.notBefore or 0, entry['until'] or 0)
    expiresAt = math.floor(cutoff / 1000) * 1000 + retention
  end
end
if expiresAt ~= -1 and expiresAt <= now then
  return { '', 'expired', '' }
end
entry.expiresAt = expiresAt
local streamId, json = write(entry, now)
return { streamId, 'applied', json }
`;

// NOTE: a tombstone lives for the retention period only. A revocation older than the lift that arrives
// after that (a queue job retried for longer) is applied again.

/**
 * Lifts an entry, unless a revocation newer than the lift was merged. Scope `all` turns the entry
 * into a tombstone. Scope `suspension` ends only the suspension (`until` and `indefinite`): the
 * cut-off of earlier revocations stays, so a suspension ending never brings back revoked tokens.
 * ARGV: 1 stream max length, 2 channel, 3 liftedAt, 4 retention ms, 5 now ms, 6 scope.
 * Returns {stream id or '', outcome}.
 */
export const LIFT_SCRIPT = `${WRITE_ENTRY}
local liftedAt = tonumber(ARGV[3])
local retention = tonumber(ARGV[4])
local now = tonumber(ARGV[5])
local scope = ARGV[6]
local current = redis.call('GET', KEYS[1])
if not current then return { '', 'absent' } end
local entry = cjson.decode(current)
if entry.type == 'jti' then
  if entry.liftedAt >= entry.revokedAt then return { '', 'absent' } end
else
  local suspended = entry['until'] ~= nil or entry.indefinite == true
  if not suspended and (scope == 'suspension' or entry.notBefore == nil) then return { '', 'absent' } end
end
if entry.revokedAt > liftedAt then return { '', 'newer_revocation' } end
entry.liftedAt = liftedAt
entry['until'] = nil
entry.indefinite = nil
if scope == 'suspension' and entry.notBefore ~= nil then
  entry.expiresAt = math.max(math.floor(entry.notBefore / 1000) * 1000 + retention, now + 1)
else
  entry.notBefore = nil
  entry.expiresAt = math.max(liftedAt + retention, now + 1)
end
local streamId = write(entry, now)
return { streamId, 'lifted' }
`;
