import RelayRedis

/// The Lua scripts of the Redis limiter. Each runs atomically on the server and takes its time
/// from `redis.call('TIME')`, so replicas' clocks never matter. Windows are kept like
/// `SlidingWindow`: a hash per window, one field per second (`"1718000000" -> amount`), counted
/// while `second >= now - 60`; older fields are deleted as they are met, and every key expires on
/// its own (windows 62 s after their last write, slot sets one lease after theirs).
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
        local oldest = second - 60
        local rpm, tpm, parallel = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
        local cost, lease = tonumber(ARGV[4]), tonumber(ARGV[6])

        local function load(key)
          local flat = redis.call('HGETALL', key)
          local buckets, used, expired = {}, 0, {}
          for i = 1, #flat, 2 do
            local at, amount = tonumber(flat[i]), tonumber(flat[i + 1])
            if at < oldest then
              expired[#expired + 1] = flat[i]
            else
              buckets[#buckets + 1] = {at, amount}
              used = used + amount
            end
          end
          if #expired > 0 then redis.call('HDEL', key, unpack(expired)) end
          table.sort(buckets, function(a, b) return a[1] < b[1] end)
          return buckets, used
        end

        local function wait(buckets, used, amount, limit)
          if amount > limit then return -1 end
          local excess = used + amount - limit
          if excess <= 0 then return 0 end
          for _, bucket in ipairs(buckets) do
            excess = excess - bucket[2]
            if excess <= 0 then return (bucket[1] + 61) * 1000 - now end
          end
          return 61000
        end

        local function reset(buckets)
          for i = #buckets, 1, -1 do
            if buckets[i][2] > 0 then return (buckets[i][1] + 61) * 1000 - now end
          end
          return 0
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
            redis.call('HINCRBY', KEYS[1], second, 1)
            redis.call('EXPIRE', KEYS[1], 62)
            requestUsed = requestUsed + 1
            requestReset = 61000 - (now - second * 1000)
          end
          if tpm >= 0 then
            redis.call('HINCRBY', KEYS[2], second, cost)
            redis.call('EXPIRE', KEYS[2], 62)
            tokenUsed = tokenUsed + cost
            if cost > 0 then tokenReset = 61000 - (now - second * 1000) end
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
    static let settle = RedisScript(
        """
        local second = tonumber(redis.call('TIME')[1])
        if ARGV[3] ~= '' then redis.call('ZREM', KEYS[2], ARGV[3]) end
        local charged, delta = ARGV[1], tonumber(ARGV[2])
        if delta == 0 then return 0 end
        if tonumber(charged) >= second - 60 then
          local amount = tonumber(redis.call('HGET', KEYS[1], charged) or '0')
          if amount == 0 and delta < 0 then return 0 end
          redis.call('HSET', KEYS[1], charged, math.max(0, amount + delta))
        elseif delta > 0 then
          redis.call('HINCRBY', KEYS[1], second, delta)
        else
          return 0
        end
        redis.call('EXPIRE', KEYS[1], 62)
        return 1
        """
    )
}
