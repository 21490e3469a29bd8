// Lua scripts that depend on the session layout in sessions.ts. They live next to the key builders
// so that a change of layout changes the scripts in the same place.

/**
 * Ends every session of one user atomically: deletes each record named in the user's index, then
 * the index itself. Its cost grows with that user's sessions only, never with other users'.
 *
 * KEYS[1] user session index (`userSessionIndexKey`)
 * ARGV[1] session key prefix of the same user (`sessionKeyPrefix`)
 * Returns the number of session records deleted (ids of already expired records are not counted).
 *
 * NOTE: the record keys are built inside the script rather than passed in KEYS. They share the
 * index's hash tag, so they live in its cluster slot, but Redis documents passing every key in KEYS.
 */
export const REVOKE_USER_SESSIONS_SCRIPT = `
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
local deleted = 0
local batch = {}
for i = 1, #ids do
  batch[#batch + 1] = ARGV[1] .. ids[i]
  if #batch == 500 then
    deleted = deleted + redis.call('DEL', unpack(batch))
    batch = {}
  end
end
if #batch > 0 then
  deleted = deleted + redis.call('DEL', unpack(batch))
end
redis.call('DEL', KEYS[1])
return deleted
`;
