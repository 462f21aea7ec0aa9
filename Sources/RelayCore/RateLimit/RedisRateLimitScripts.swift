import RelayRedis

/// The Lua script of the Redis limiter. It runs atomically on the server and takes its time
/// from `redis.call('TIME')`, so replicas' clocks never matter. Windows are kept like
/// `SlidingWindow`: a hash per window, two fields per second (`"1718000000" -> amount`, and
/// `"t1718000000" -> the millisecond within that second of its latest charge`), counted until
/// 60 s after that latest charge; older fields are deleted as they are met, and every key
/// expires on its own (windows 62 s after their last write, slot sets one lease after theirs).
/// A second with no `t` field is counted as if charged at its last millisecond.
///
/// Each window also keeps its sum, so that a request that fits is decided without reading the
/// window whole: `tu` (the amount its seconds hold), `to` (no second before this one holds a
/// field) and `tr` (the second the sum was last counted from every field). A batch reads these
/// three, ages out the seconds from `to` on (one or two a call under steady traffic) and reads
/// the seconds it charges; it reads the whole hash only to say how long a request must wait, or
/// when a reset is asked of a key charged nothing, and at least every 10 s (`tr`), which also
/// mends a sum that writers without it left wrong. The names start with `t` because the scripts
/// of earlier releases read only numeric fields and the `t` fields of numeric seconds: during a
/// rolling upgrade they ignore these, and the recount mends what they charged within 10 s.
enum RedisRateLimitScripts {
    /// Runs a batch of reserves and settles, in order, as if each were its own script run at the
    /// same instant: every operation sees the windows as the ones before it left them. Each
    /// window is read once per batch (its sum and the seconds the batch needs, or whole), kept
    /// in Lua tables while the batch runs and written back once (`HDEL` of the seconds that aged
    /// out, `HSET` of the sum and the seconds that changed, `EXPIRE`); each slot set is trimmed
    /// and counted once, and its new slots added with one `ZADD`.
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

        -- A window: its sum (`used`), the second before which no field is held (`oldest`), the
        -- buckets read so far by second (`false`: read, and not there), and, once read whole
        -- (`full`), every bucket in the order of its latest charge.
        local windows = {}

        local function bucketOf(at, amount, ms)
          return {at = at, amount = amount, ms = ms, last = at * 1000 + (ms or 999)}
        end

        local function expire(w, at)
          w.expired[#w.expired + 1] = at
          w.expired[#w.expired + 1] = 't' .. at
        end

        -- Reads the window whole: every bucket that still counts, in order, its sum and oldest
        -- second counted again. Buckets this batch read or changed keep their values here.
        local function readWhole(w)
          local flat = redis.call('HGETALL', w.key)
          local latest = {}  -- a second's latest millisecond, from its `t` field (116 is 't')
          for i = 1, #flat, 2 do
            if string.byte(flat[i], 1) == 116 then latest[string.sub(flat[i], 2)] = tonumber(flat[i + 1]) end
          end
          local order, used, oldest, seen = {}, 0, nil, {}
          local function count(bucket)
            w.buckets[bucket.at] = bucket
            order[#order + 1] = bucket
            used = used + bucket.amount
            if not oldest or bucket.at < oldest then oldest = bucket.at end
          end
          for i = 1, #flat, 2 do
            local at = tonumber(flat[i])
            if at then
              seen[at] = true
              local bucket = w.buckets[at] or bucketOf(at, tonumber(flat[i + 1]), latest[flat[i]])
              if bucket.last + 60000 <= now then expire(w, at) else count(bucket) end
            end
          end
          for at, bucket in pairs(w.changed) do
            if not seen[at] then count(bucket) end
          end
          table.sort(order, function(a, b) return a.last < b.last end)
          w.order, w.used, w.oldest, w.full, w.recounted = order, used, oldest or second, true, second
        end

        local function window(key)
          local w = windows[key]
          if w then return w end
          w = {key = key, buckets = {}, expired = {}, changed = {}, written = false}
          windows[key] = w
          local sum = redis.call('HMGET', key, 'tu', 'to', 'tr')
          local used, oldest, recounted = tonumber(sum[1]), tonumber(sum[2]), tonumber(sum[3])
          if not (used and oldest and recounted) or recounted + 10 <= second or recounted > second
              or oldest > second then
            readWhole(w)
            return w
          end
          -- Seconds age out in order: from the oldest, until one still counts.
          local at = oldest
          while at <= second - 60 do
            local pair = redis.call('HMGET', key, at, 't' .. at)
            if pair[1] then
              local bucket = bucketOf(at, tonumber(pair[1]), tonumber(pair[2]))
              if bucket.last + 60000 > now then
                w.buckets[at] = bucket
                break
              end
              used = used - bucket.amount
              expire(w, at)
            end
            at = at + 1
          end
          w.used, w.oldest, w.recounted = used, at, recounted
          return w
        end

        -- The bucket of second `at` while it counts, else nil.
        local function bucketAt(w, at)
          local bucket = w.buckets[at]
          if bucket ~= nil then return bucket or nil end
          if w.full or at < w.oldest then return nil end
          local pair = redis.call('HMGET', w.key, at, 't' .. at)
          bucket = pair[1] and bucketOf(at, tonumber(pair[1]), tonumber(pair[2])) or false
          w.buckets[at] = bucket
          return bucket or nil
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
          if not w.full then readWhole(w) end
          excess = w.used + amount - limit
          if excess <= 0 then return 0 end
          for _, bucket in ipairs(w.order) do
            excess = excess - bucket.amount
            if excess <= 0 then return untilExpiry(bucket) end
          end
          return 60000
        end

        local function reset(w)
          if not w.full then readWhole(w) end
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
          local bucket = bucketAt(w, second)
          if bucket then
            bucket.amount = bucket.amount + amount
          else
            bucket = {at = second, amount = amount}
            w.buckets[second] = bucket
            if w.full then w.order[#w.order + 1] = bucket end
          end
          bucket.ms = now - second * 1000
          bucket.last = now
          if w.full then reorder(w.order, bucket) end
          if second < w.oldest then w.oldest = second end
          w.used = w.used + amount
          w.changed[second] = bucket
          w.written = true
        end

        local function correct(w, charged, delta)
          local bucket = bucketAt(w, charged)
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

        -- Resets are read before the charges, as the answer reports the window as it was; a
        -- charged window's reset is the full 60 s, known without reading it whole.
        local function reserve(requestsKey, tokensKey, slotsKey, rpm, tpm, parallel, cost, id)
          local requestWait, requestUsed, requestReset = 0, 0, 0
          local requests
          if rpm >= 0 then
            requests = window(requestsKey)
            requestWait = wait(requests, 1, rpm)
            requestUsed = requests.used
          end
          local tokenWait, tokenUsed, tokenReset = 0, 0, 0
          local tokens
          if tpm >= 0 then
            tokens = window(tokensKey)
            tokenWait = wait(tokens, cost, tpm)
            tokenUsed = tokens.used
          end
          local inFlight = 0
          local set
          if parallel >= 0 then
            set = count(slotsKey)
            inFlight = set.count
          end

          local admitted = requestWait == 0 and tokenWait == 0 and (parallel < 0 or inFlight < parallel)
          if rpm >= 0 then requestReset = admitted and 60000 or reset(requests) end
          if tpm >= 0 then tokenReset = (admitted and cost > 0) and 60000 or reset(tokens) end
          if admitted then
            if rpm >= 0 then
              charge(requests, 1)
              requestUsed = requestUsed + 1
            end
            if tpm >= 0 then
              charge(tokens, cost)
              tokenUsed = tokenUsed + cost
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

        -- Each window written back once: the seconds that aged out deleted, the ones changed and
        -- the sum written with one HSET.
        for key, w in pairs(windows) do
          if #w.expired > 0 then redis.call('HDEL', key, unpack(w.expired)) end
          if w.written or w.full or #w.expired > 0 then
            local fields = {'tu', w.used, 'to', w.oldest, 'tr', w.recounted}
            for at, bucket in pairs(w.changed) do
              fields[#fields + 1] = at
              fields[#fields + 1] = bucket.amount
              if bucket.ms then
                fields[#fields + 1] = 't' .. at
                fields[#fields + 1] = bucket.ms
              end
            end
            redis.call('HSET', key, unpack(fields))
            if w.written then redis.call('EXPIRE', key, 62) end
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
