import RelayRedis

/// The Lua scripts of the Redis limiter. Each runs atomically on the server and takes its time
/// from `redis.call('TIME')`, so replicas' clocks never matter. Windows are kept like
/// `SlidingWindow`: a hash per window, two fields per second (`"1718000000" -> amount`, and
/// `"t1718000000" -> the millisecond within that second of its latest charge`), counted until
/// 60 s after that latest charge; older fields are deleted as they are met, and every key
/// expires on its own (windows 62 s after their last write, slot sets one lease after theirs).
/// A second with no `t` field is counted as if charged at its last millisecond.
enum RedisRateLimitScripts {
    /// KEYS: requests hash, tokens hash, slots sorted set.
    /// ARGV: rpm, tpm, max_parallel (each -1 for none), cost, slot id, slot lease (ms).
    /// Answers `{admitted, request wait, request used, request reset, token wait, token used,
    /// token reset, parallel in flight, second}`: waits in ms, -1 = never fits; resets in ms.
    static let reserve = RedisScript(
        """
        local time = redis.call('TIME')
        local second = tonumber(time[1])
        local now = second * 1000 + math.floor(tonumber(time[2]) / 1000)
        local rpm, tpm, parallel = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
        local cost, lease = tonumber(ARGV[4]), tonumber(ARGV[6])

        local function load(key)
          local flat = redis.call('HGETALL', key)
          local latest = {}
          for i = 1, #flat, 2 do
            if string.sub(flat[i], 1, 1) == 't' then latest[string.sub(flat[i], 2)] = tonumber(flat[i + 1]) end
          end
          local buckets, used, expired = {}, 0, {}
          for i = 1, #flat, 2 do
            local field = flat[i]
            if string.sub(field, 1, 1) ~= 't' then
              local at, amount = tonumber(field), tonumber(flat[i + 1])
              local last = at * 1000 + (latest[field] or 999)
              if last + 60000 <= now then
                expired[#expired + 1] = field
                expired[#expired + 1] = 't' .. field
              else
                buckets[#buckets + 1] = {at, amount, last}
                used = used + amount
              end
            end
          end
          if #expired > 0 then redis.call('HDEL', key, unpack(expired)) end
          table.sort(buckets, function(a, b) return a[3] < b[3] end)
          return buckets, used
        end

        -- A bucket's charges count until 60 s after its latest; a clock stepped back on the
        -- server never makes a wait longer than the window.
        local function untilExpiry(bucket)
          return math.min(60000, bucket[3] + 60000 - now)
        end

        local function wait(buckets, used, amount, limit)
          if amount > limit then return -1 end
          local excess = used + amount - limit
          if excess <= 0 then return 0 end
          for _, bucket in ipairs(buckets) do
            excess = excess - bucket[2]
            if excess <= 0 then return untilExpiry(bucket) end
          end
          return 60000
        end

        local function reset(buckets)
          for i = #buckets, 1, -1 do
            if buckets[i][2] > 0 then return untilExpiry(buckets[i]) end
          end
          return 0
        end

        local function charge(key, amount)
          redis.call('HINCRBY', key, second, amount)
          redis.call('HSET', key, 't' .. second, now - second * 1000)
          redis.call('EXPIRE', key, 62)
        end

        local requestWait, requestUsed, requestReset = 0, 0, 0
        local requestBuckets
        if rpm >= 0 then
          requestBuckets, requestUsed = load(KEYS[1])
          requestWait = wait(requestBuckets, requestUsed, 1, rpm)
          requestReset = reset(requestBuckets)
        end
        local tokenWait, tokenUsed, tokenReset = 0, 0, 0
        local tokenBuckets
        if tpm >= 0 then
          tokenBuckets, tokenUsed = load(KEYS[2])
          tokenWait = wait(tokenBuckets, tokenUsed, cost, tpm)
          tokenReset = reset(tokenBuckets)
        end
        local inFlight = 0
        if parallel >= 0 then
          redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
          inFlight = redis.call('ZCARD', KEYS[3])
        end

        local admitted = requestWait == 0 and tokenWait == 0 and (parallel < 0 or inFlight < parallel)
        if admitted then
          if rpm >= 0 then
            charge(KEYS[1], 1)
            requestUsed = requestUsed + 1
            requestReset = 60000
          end
          if tpm >= 0 then
            charge(KEYS[2], cost)
            tokenUsed = tokenUsed + cost
            if cost > 0 then tokenReset = 60000 end
          end
          if parallel >= 0 then
            redis.call('ZADD', KEYS[3], now + lease, ARGV[5])
            redis.call('PEXPIRE', KEYS[3], lease)
          end
        end
        return {admitted and 1 or 0, requestWait, requestUsed, requestReset,
                tokenWait, tokenUsed, tokenReset, inFlight, second}
        """
    )

    /// KEYS: tokens hash, slots sorted set.
    /// ARGV: the second charged, the token correction (actual - charged), slot id ("" for none).
    /// A correction goes to the second charged while it still counts; an extra charge for a
    /// second that aged out goes to the current one.
    static let settle = RedisScript(
        """
        local time = redis.call('TIME')
        local second = tonumber(time[1])
        local now = second * 1000 + math.floor(tonumber(time[2]) / 1000)
        if ARGV[3] ~= '' then redis.call('ZREM', KEYS[2], ARGV[3]) end
        local charged, delta = ARGV[1], tonumber(ARGV[2])
        if delta == 0 then return 0 end
        local amount = redis.call('HGET', KEYS[1], charged)
        local last = tonumber(charged) * 1000 + tonumber(redis.call('HGET', KEYS[1], 't' .. charged) or '999')
        if amount and last + 60000 > now then
          redis.call('HSET', KEYS[1], charged, math.max(0, tonumber(amount) + delta))
        elseif delta > 0 then
          redis.call('HINCRBY', KEYS[1], second, delta)
          redis.call('HSET', KEYS[1], 't' .. second, now - second * 1000)
        else
          return 0
        end
        redis.call('EXPIRE', KEYS[1], 62)
        return 1
        """
    )
}
