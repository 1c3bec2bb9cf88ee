"""The Lua scripts of the conversation leases: each step of a lease's life in one command.

Written here rather than made of redis-py's `Lock` (whose release script `RedisLeases` uses where
it fits): each step checks the lease's token and touches the answer's record in the same atomic
command, and each command costs CPU at every update of every answer (see `storage/redis_command_batch.py`); a
`Lock` call plus the rest would cost two or three. Keys and arguments are listed in each script.
"""

from __future__ import annotations

TAKE = """
-- KEYS: lease, answer record, pace. ARGV: token, lease (ms).
-- Free: taken; returns {1, whether an answer record was left behind, the pace or ''}.
-- Held: returns {0, the holder's token or '' if it lapsed just now}.
if redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {1, redis.call('exists', KEYS[2]), redis.call('get', KEYS[3]) or ''}
end
return {0, redis.call('get', KEYS[1]) or ''}
"""

BEGIN = """
-- KEYS: lease, answer record, answers. ARGV: token, origin, progress, the record's time to live
-- (ms), the lease's deadline (ms since the epoch), conversation key.
-- Records the answer starting under the lease, if it is still held; returns 1 if it was.
if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('hset', KEYS[2], 'origin', ARGV[2], 'progress', ARGV[3], 'owner', ARGV[1])
redis.call('pexpire', KEYS[2], ARGV[4])
redis.call('zadd', KEYS[3], ARGV[5], ARGV[6])
return 1
"""

RECORD = """
-- KEYS: lease, answer record. ARGV: token, progress.
-- Keeps the answer's progress if the lease is still held; returns 1 if it was.
if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('hset', KEYS[2], 'progress', ARGV[2])
return 1
"""

RELEASE = """
-- KEYS: lease, answer record, answers, pace. ARGV: token, conversation key, pace (s since the
-- epoch), its time to live (ms).
-- Lets go of the lease and drops its answer record, if still held; returns 1 if it was.
if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('del', KEYS[1], KEYS[2])
redis.call('zrem', KEYS[3], ARGV[2])
if tonumber(ARGV[4]) > 0 then redis.call('set', KEYS[4], ARGV[3], 'PX', ARGV[4]) end
return 1
"""

RENEW = """
-- KEYS: lease, answers. ARGV: token, lease (ms), the lease's new deadline (ms since the epoch),
-- conversation key, 1 if an answer is in progress under the lease.
-- Renews the lease (and its answer's deadline) if still held; returns 1 if it was.
if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('pexpire', KEYS[1], ARGV[2])
if ARGV[5] == '1' then redis.call('zadd', KEYS[2], 'XX', ARGV[3], ARGV[4]) end
return 1
"""
