import RelayRedis

/// The Lua script of the Redis limiter. It runs atomically on the server and takes its time
/// from `redis.call('TIME')`, so replicas' clocks never matter. Windows are kept like
/// `SlidingWindow`: a hash per window, two fields per second (`"1718000000" -> amount`, and
/// `"t1718000000" -> the millisecond within that second of its latest charge`), counted until
/// 60 s after that latest charge; older fields are deleted as they are met, and every key
/// expires on its own (windows 62 s after their last write, slot sets one lease after theirs).
/// A second with no `t` field is counted as if charged at its last millisecond.
enum RedisRateLimitScripts {
    /// Runs a batch of reserves and settles, in order, as if each were its own script run at the
    /// same instant: every operation sees the windows as the ones before it left them. Each
    /// window hash is read once per batch (`HGETALL`, dropping the seconds that aged out), kept
    /// in Lua tables while the batch runs and written back once (`HSET` of the seconds that
    /// changed, `EXPIRE`); each slot set is trimmed and counted once, and its new slots added
    /// with one `ZADD`.
    ///
    /// KEYS: every distinct key the batch uses (`RedisLimitBatch` builds them).
    /// ARGV: the slot lease (ms), then the operations one after another:
    /// - `r`, requests key, tokens key, slots key, rpm, tpm, max_parallel (each -1 for none),
    ///   cost, slot id: a reserve. Keys are indices into KEYS (0 for a limit not in use).
    /// - `s`, tokens key, slots key, the second charged, the token correction (actual -
    ///   charged), slot id (`""` for none): a settle. A correction goes to the second charged
    ///   while it still counts; an extra charge for a second that aged out goes to the current one.
    ///
    /// Answers one element per operation: for a reserve `{admitted, request wait, request used,
    /// request reset, token wait, token used, token reset, parallel in flight, second}` (waits in
    /// ms, -1 = never fits; resets in ms; what `ReserveAnswer` reads), for a settle 0.
    static let batch = RedisScript(
        """
        local time = redis.call('TIME')
        local second = tonumber(time[1])
        local now = second * 1000 + math.floor(tonumber(time[2]) / 1000)
        local lease = tonumber(ARGV[1])

        -- A window: its buckets by second, the same buckets ordered by their latest charge,
        -- the amount they hold, the fields to delete and the seconds to write back.
        local windows = {}
        local function window(key)
          local loaded = windows[key]
          if loaded then return loaded end
          local flat = redis.call('HGETALL', key)
          local latest = {}
          for i = 1, #flat, 2 do
            if string.sub(flat[i], 1, 1) == 't' then latest[string.sub(flat[i], 2)] = tonumber(flat[i + 1]) end
          end
          local w = {buckets = {}, order = {}, used = 0, expired = {}, changed = {}, written = false}
          for i = 1, #flat, 2 do
            local field = flat[i]
            if string.sub(field, 1, 1) ~= 't' then
              local at, amount = tonumber(field), tonumber(flat[i + 1])
              local last = at * 1000 + (latest[field] or 999)
              if last + 60000 <= now then
                w.expired[#w.expired + 1] = field
                w.expired[#w.expired + 1] = 't' .. field
              else
                local bucket = {at = at, amount = amount, last = last, ms = latest[field]}
                w.buckets[at] = bucket
                w.order[#w.order + 1] = bucket
                w.used = w.used + amount
              end
            end
          end
          table.sort(w.order, function(a, b) return a.last < b.last end)
          windows[key] = w
          return w
        end

        -- A bucket's charges count until 60 s after its latest; a clock stepped back on the
        -- server never makes a wait longer than the window.
        local function untilExpiry(bucket)
          return math.min(60000, bucket.last + 60000 - now)
        end

        local function wait(w, amount, limit)
          if amount > limit then return -1 end
          local excess = w.used + amount - limit
          if excess <= 0 then return 0 end
          for _, bucket in ipairs(w.order) do
            excess = excess - bucket.amount
            if excess <= 0 then return untilExpiry(bucket) end
          end
          return 60000
        end

        local function reset(w)
          for i = #w.order, 1, -1 do
            if w.order[i].amount > 0 then return untilExpiry(w.order[i]) end
          end
          return 0
        end

        -- Moves a bucket whose latest charge changed to its place in the order.
        local function reorder(order, bucket)
          local i = #order
          while order[i] ~= bucket do i = i - 1 end
          while i > 1 and order[i - 1].last > bucket.last do
            order[i] = order[i - 1]
            i = i - 1
          end
          while i < #order and order[i + 1].last < bucket.last do
            order[i] = order[i + 1]
            i = i + 1
          end
          order[i] = bucket
        end

        local function charge(w, amount)
          local bucket = w.buckets[second]
          if bucket then
            bucket.amount = bucket.amount + amount
          else
            bucket = {at = second, amount = amount}
            w.buckets[second] = bucket
            w.order[#w.order + 1] = bucket
          end
          bucket.ms = now - second * 1000
          bucket.last = now
          reorder(w.order, bucket)
          w.used = w.used + amount
          w.changed[second] = bucket
          w.written = true
        end

        local function correct(w, charged, delta)
          local bucket = w.buckets[charged]
          if bucket then
            local amount = math.max(0, bucket.amount + delta)
            w.used = w.used + amount - bucket.amount
            bucket.amount = amount
            w.changed[charged] = bucket
            w.written = true
          elseif delta > 0 then
            charge(w, delta)
          end
        end

        -- A slot set: how many slots it holds, counted once its expired leases are trimmed,
        -- and the slots this batch added (written with one ZADD at the end).
        local slotSets = {}
        local function slots(key)
          local set = slotSets[key]
          if not set then
            set = {added = {}, anyAdded = false}
            slotSets[key] = set
          end
          return set
        end

        local function count(key)
          local set = slots(key)
          if not set.count then
            redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
            set.count = redis.call('ZCARD', key)
          end
          return set
        end

        local function free(key, id)
          local set = slots(key)
          if set.added[id] then
            set.added[id] = nil
            set.count = set.count - 1
          else
            local removed = redis.call('ZREM', key, id)
            if set.count then set.count = set.count - removed end
          end
        end

        local function reserve(requestsKey, tokensKey, slotsKey, rpm, tpm, parallel, cost, id)
          local requestWait, requestUsed, requestReset = 0, 0, 0
          local requests
          if rpm >= 0 then
            requests = window(requestsKey)
            requestUsed = requests.used
            requestWait = wait(requests, 1, rpm)
            requestReset = reset(requests)
          end
          local tokenWait, tokenUsed, tokenReset = 0, 0, 0
          local tokens
          if tpm >= 0 then
            tokens = window(tokensKey)
            tokenUsed = tokens.used
            tokenWait = wait(tokens, cost, tpm)
            tokenReset = reset(tokens)
          end
          local inFlight = 0
          local set
          if parallel >= 0 then
            set = count(slotsKey)
            inFlight = set.count
          end

          local admitted = requestWait == 0 and tokenWait == 0 and (parallel < 0 or inFlight < parallel)
          if admitted then
            if rpm >= 0 then
              charge(requests, 1)
              requestUsed = requestUsed + 1
              requestReset = 60000
            end
            if tpm >= 0 then
              charge(tokens, cost)
              tokenUsed = tokenUsed + cost
              if cost > 0 then tokenReset = 60000 end
            end
            if parallel >= 0 then
              set.added[id] = true
              set.anyAdded = true
              set.count = set.count + 1
            end
          end
          return {admitted and 1 or 0, requestWait, requestUsed, requestReset,
                  tokenWait, tokenUsed, tokenReset, inFlight, second}
        end

        local answers = {}
        local i = 2
        while i <= #ARGV do
          if ARGV[i] == 'r' then
            answers[#answers + 1] = reserve(KEYS[tonumber(ARGV[i + 1])], KEYS[tonumber(ARGV[i + 2])],
              KEYS[tonumber(ARGV[i + 3])], tonumber(ARGV[i + 4]), tonumber(ARGV[i + 5]),
              tonumber(ARGV[i + 6]), tonumber(ARGV[i + 7]), ARGV[i + 8])
            i = i + 9
          elseif ARGV[i] == 's' then
            if ARGV[i + 5] ~= '' then free(KEYS[tonumber(ARGV[i + 2])], ARGV[i + 5]) end
            local delta = tonumber(ARGV[i + 4])
            if delta ~= 0 then correct(window(KEYS[tonumber(ARGV[i + 1])]), tonumber(ARGV[i + 3]), delta) end
            answers[#answers + 1] = 0
            i = i + 6
          else
            return redis.error_reply('unknown rate limit operation ' .. tostring(ARGV[i]))
          end
        end

        for key, w in pairs(windows) do
          if #w.expired > 0 then redis.call('HDEL', key, unpack(w.expired)) end
          if w.written then
            local fields = {}
            for at, bucket in pairs(w.changed) do
              fields[#fields + 1] = at
              fields[#fields + 1] = bucket.amount
              if bucket.ms then
                fields[#fields + 1] = 't' .. at
                fields[#fields + 1] = bucket.ms
              end
            end
            redis.call('HSET', key, unpack(fields))
            redis.call('EXPIRE', key, 62)
          end
        end
        for key, set in pairs(slotSets) do
          local members = {}
          for id in pairs(set.added) do
            members[#members + 1] = now + lease
            members[#members + 1] = id
          end
          if #members > 0 then redis.call('ZADD', key, unpack(members)) end
          if set.anyAdded then redis.call('PEXPIRE', key, lease) end
        end
        return answers
        """
    )
}
