"""The live store's server-side scripts (Lua), each registered once per store.

They make every write a guarded, absolute one: a script compares the incoming version with the
stored one and writes only when it is newer, in one atomic step on the server. Replaying an
older batch after a crash therefore never regresses a board, and applying the same batch twice
changes nothing.

Keys besides ``KEYS`` are derived inside the scripts from the namespace prefix (``ARGV[1]``),
which standalone Redis allows; the live store does not support Redis Cluster.
"""

from __future__ import annotations

from typing import Final

METRICS: Final = ("plays", "likes", "comments", "shares", "engagement", "velocity")
"""Video board metrics, in the order the video script writes them."""

_METRICS_LUA: Final = "{" + ", ".join(f"'{m}'" for m in METRICS) + "}"

VIDEO: Final = """
-- One video: its latest delta (numbers and boards, guarded by seq) and its latest snapshot
-- (card text, guarded by card_ms). Returns 1 if the delta applied, + 2 if the card did.
-- KEYS[1] the card. ARGV: prefix, video id, min plays for rate, windows (ascending, comma
-- separated), seq ('' if no delta), collected_ms, market, author_id, plays, likes, comments,
-- shares, saves, velocity, engagement_rate, rounded, card_ms ('' if no snapshot), card pairs.
local p, vid, card = ARGV[1], ARGV[2], KEYS[1]
local min_plays = tonumber(ARGV[3])
local meta = p .. 'meta'
local windows, fields = {}, {}
for w in string.gmatch(ARGV[4], '[^,]+') do
  windows[#windows + 1] = w
  fields[#fields + 1] = 'cutoff:' .. w
end
local raw = redis.call('HMGET', meta, unpack(fields))
local cutoffs = {}
for i = 1, #windows do cutoffs[i] = tonumber(raw[i]) or -1 end
local horizon = cutoffs[#windows]
local metrics = METRICS_TABLE
local result = 0

if ARGV[5] ~= '' then
  local seq, ms, market = tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7]
  local stored = redis.call('HMGET', card, 'seq', 'board_market')
  local old_seq = tonumber(stored[1])
  if (old_seq == nil or seq > old_seq) and ms > horizon then
    local old_market = stored[2]
    if old_market and old_market ~= market then
      for _, w in ipairs(windows) do
        for _, metric in ipairs(metrics) do
          redis.call('ZREM', p .. 'board:video:' .. metric .. ':' .. old_market .. ':' .. w, vid)
        end
      end
      redis.call('ZREM', p .. 'seen:' .. old_market, vid)
    end
    redis.call('HSET', card, 'seq', ARGV[5], 'collected_ms', ARGV[6], 'market', market,
      'board_market', market, 'author_id', ARGV[8], 'plays', ARGV[9], 'likes', ARGV[10],
      'comments', ARGV[11], 'shares', ARGV[12], 'saves', ARGV[13], 'velocity', ARGV[14],
      'engagement_rate', ARGV[15], 'rounded', ARGV[16])
    redis.call('SADD', p .. 'markets', market)
    redis.call('ZADD', p .. 'seen:' .. market, 'GT', ms, vid)
    redis.call('ZADD', p .. 'seen:all', 'GT', ms, vid)
    local scores = {ARGV[9], ARGV[10], ARGV[11], ARGV[12], ARGV[15], ARGV[14]}
    local rated = tonumber(ARGV[9]) >= min_plays
    for i, w in ipairs(windows) do
      if ms > cutoffs[i] then
        for _, m in ipairs({market, 'all'}) do
          local base = p .. 'board:video:'
          for j, metric in ipairs(metrics) do
            local key = base .. metric .. ':' .. m .. ':' .. w
            if metric == 'engagement' and not rated then
              redis.call('ZREM', key, vid)
            else
              redis.call('ZADD', key, scores[j], vid)
            end
          end
        end
      end
    end
    redis.call('HINCRBY', meta, 'snapshots', seq - math.max(old_seq or 0, 0))
    result = 1
  end
end

if ARGV[17] ~= '' then
  local card_ms = tonumber(ARGV[17])
  local stored = tonumber(redis.call('HGET', card, 'card_ms'))
  if (stored == nil or card_ms > stored) and card_ms > horizon then
    redis.call('HSET', card, 'card_ms', ARGV[17], unpack(ARGV, 18))
    result = result + 2
  end
end
return result
""".replace("METRICS_TABLE", _METRICS_LUA)

ENTITY: Final = """
-- One TrendScore, guarded by at_ms. KEYS[1] the entity hash, KEYS[2] its board.
-- ARGV: at_ms, score, rank, entity, then the hash's field/value pairs. Rank 0: off the board.
local stored = tonumber(redis.call('HGET', KEYS[1], 'at_ms'))
if stored ~= nil and tonumber(ARGV[1]) <= stored then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 5))
if ARGV[3] == '0' then
  redis.call('ZREM', KEYS[2], ARGV[4])
else
  redis.call('ZADD', KEYS[2], ARGV[2], ARGV[4])
end
return 1
"""

SPIKES: Final = """
-- A batch of spikes, then the trim to the newest ARGV[2]. ARGV: prefix, kept, then
-- (spike id, detected_ms, entity, JSON) per spike. Returns the new ids that were kept.
local p, kept = ARGV[1], tonumber(ARGV[2])
local index = p .. 'spikes'
local new = {}
for i = 3, #ARGV, 4 do
  local id = ARGV[i]
  if not redis.call('ZSCORE', index, id) then new[#new + 1] = id end
  redis.call('SET', p .. 'spike:' .. id, ARGV[i + 3])
  redis.call('ZADD', index, ARGV[i + 1], id)
  redis.call('ZADD', p .. 'spikes:' .. ARGV[i + 2], ARGV[i + 1], id)
end
local n = redis.call('ZCARD', index)
if n > kept then
  for _, id in ipairs(redis.call('ZRANGE', index, 0, n - kept - 1)) do
    local body = redis.call('GET', p .. 'spike:' .. id)
    if body then
      redis.call('ZREM', p .. 'spikes:' .. cjson.decode(body)['entity'], id)
    end
    redis.call('DEL', p .. 'spike:' .. id)
    redis.call('ZREM', index, id)
  end
end
local alive = {}
for _, id in ipairs(new) do
  if redis.call('ZSCORE', index, id) then alive[#alive + 1] = id end
end
return alive
"""

PAGE: Final = """
-- A page of a board in its total order: score descending, ties by member ascending (Redis's
-- own reverse order puts tied members in descending order). KEYS[1] the board. ARGV: offset,
-- count. Returns member, score, member, score, ... Each run of tied scores on the page is
-- read again in ascending member order, from where the page enters it.
local key, offset, count = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2])
local rows = redis.call('ZREVRANGE', key, offset, offset + count - 1, 'WITHSCORES')
local out = {}
local i = 1
while i <= #rows do
  local score = rows[i + 1]
  local j = i
  while j + 2 <= #rows and rows[j + 3] == score do j = j + 2 end
  local above = redis.call('ZCOUNT', key, '(' .. score, '+inf')
  local first = math.max(offset, above) - above
  local tied = redis.call('ZRANGEBYSCORE', key, score, score, 'WITHSCORES',
    'LIMIT', first, (j - i) / 2 + 1)
  for _, value in ipairs(tied) do out[#out + 1] = value end
  i = j + 2
end
return out
"""

PRUNE: Final = """
-- Move the watermark forward and drop from each window's video boards the videos not seen
-- since watermark - window. Only the videos that went stale since the last prune are looked
-- at (seen between the previous cutoff and the new one), so the cost follows the traffic.
-- Past the store's largest window (ARGV[3], '' when not pruned now) a video is forgotten:
-- its card and seen entries go.
-- ARGV: prefix, watermark_ms, largest window, then (window, length ms) pairs, ascending.
-- Returns the boards that changed.
local p, wm, largest = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local meta = p .. 'meta'
local current = tonumber(redis.call('HGET', meta, 'watermark_ms'))
if current == nil or wm > current then redis.call('HSET', meta, 'watermark_ms', ARGV[2]) end
local metrics = METRICS_TABLE
local markets = redis.call('SMEMBERS', p .. 'markets')
markets[#markets + 1] = 'all'
local changed = {}
for i = 4, #ARGV, 2 do
  local w = ARGV[i]
  local cutoff = wm - tonumber(ARGV[i + 1])
  local prev = tonumber(redis.call('HGET', meta, 'cutoff:' .. w))
  if prev == nil or cutoff > prev then
    local low = '-inf'
    if prev ~= nil then low = '(' .. string.format('%d', prev) end
    local high = string.format('%d', cutoff)
    for _, m in ipairs(markets) do
      local seen = p .. 'seen:' .. m
      local stale = redis.call('ZRANGEBYSCORE', seen, low, high)
      if #stale > 0 then
        for _, metric in ipairs(metrics) do
          local key = p .. 'board:video:' .. metric .. ':' .. m .. ':' .. w
          local removed = 0
          for _, vid in ipairs(stale) do removed = removed + redis.call('ZREM', key, vid) end
          if removed > 0 then changed[#changed + 1] = key end
        end
        if w == largest then
          redis.call('ZREMRANGEBYSCORE', seen, '-inf', high)
          if m == 'all' then
            for _, vid in ipairs(stale) do redis.call('DEL', p .. 'video:' .. vid) end
          end
        end
      end
    end
    redis.call('HSET', meta, 'cutoff:' .. w, high)
  end
end
return changed
""".replace("METRICS_TABLE", _METRICS_LUA)
