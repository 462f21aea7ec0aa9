import RelayRedis

/// The Lua scripts of `RedisQuotaStore`. Each runs atomically on the server; the ones that need
/// the time take it from `redis.call('TIME')`, so replicas' clocks never matter.
///
/// A counter is a plain integer key, `<prefix>{<key name>}:<meter>:<window id>`
/// (`relay:quota:{team-a}:tokens_per_day:20794`): every script gets the part up to the hash tag
/// as `KEYS[i]` and appends the rest, which only the script can know (the window comes from
/// Redis's clock). All of one API key's counters share the tag, so they sit in one Cluster slot.
/// Each counter expires one day after its window ends (`EXPIREAT`): late settlements still find
/// it, and nothing is left behind.
///
/// Lua 5.1 numbers are doubles: integer division is `math.floor(a / b)`, exact for the sizes
/// met here (day numbers, months, seconds). Amounts are passed to `INCRBY` as the strings Swift
/// wrote, never reformatted by Lua (which would print large numbers in exponent notation).
enum RedisQuotaScripts {
    /// `windows(now)`: day id, month id, and when each ends, in Unix seconds. A port of
    /// `QuotaWindows(unixSeconds:)` and `resetAt(_:)`, shared by every script below.
    private static let calendar = """
        local function daysFromCivil(y, m, d)
          if m <= 2 then y = y - 1 end
          local era = math.floor(y / 400)
          local yearOfEra = y - era * 400
          local monthPrime = m > 2 and m - 3 or m + 9
          local dayOfYear = math.floor((153 * monthPrime + 2) / 5) + d - 1
          local dayOfEra = yearOfEra * 365 + math.floor(yearOfEra / 4) - math.floor(yearOfEra / 100) + dayOfYear
          return era * 146097 + dayOfEra - 719468
        end

        local function windows(now)
          local day = math.floor(now / 86400)
          local z = day + 719468
          local era = math.floor(z / 146097)
          local dayOfEra = z - era * 146097
          local yearOfEra = math.floor((dayOfEra - math.floor(dayOfEra / 1460) + math.floor(dayOfEra / 36524)
            - math.floor(dayOfEra / 146096)) / 365)
          local dayOfYear = dayOfEra - (365 * yearOfEra + math.floor(yearOfEra / 4) - math.floor(yearOfEra / 100))
          local monthPrime = math.floor((5 * dayOfYear + 2) / 153)
          local month = monthPrime < 10 and monthPrime + 3 or monthPrime - 9
          local year = yearOfEra + era * 400 + (month <= 2 and 1 or 0)
          local nextYear, nextMonth = year, month + 1
          if nextMonth > 12 then nextYear, nextMonth = year + 1, 1 end
          return day, (year - 1970) * 12 + (month - 1), (day + 1) * 86400, daysFromCivil(nextYear, nextMonth, 1) * 86400
        end
        """

    /// KEYS[1]: the key's counter prefix (`relay:quota:{team-a}`).
    /// ARGV: quadruples of meter name, its period (`day` or `month`), amount, limit (-1 for none).
    /// Answers `{1, day, month}` when every limited meter stays within its limit (and then adds
    /// every amount), else `{0, meter, resetAt, now}` for the meter over its limit whose window
    /// ends last (the first such in ARGV's order on a tie), as `FileQuotaStore` answers: a client
    /// that waits until `resetAt` is not refused again by another meter.
    static let reserve = RedisScript(
        calendar + "\n"
            + """
            local now = tonumber(redis.call('TIME')[1])
            local day, month, dayReset, monthReset = windows(now)
            local meters = {}
            for i = 1, #ARGV, 4 do
              local daily = ARGV[i + 1] == 'day'
              meters[#meters + 1] = {
                name = ARGV[i],
                key = KEYS[1] .. ':' .. ARGV[i] .. ':' .. (daily and day or month),
                amount = ARGV[i + 2],
                limit = tonumber(ARGV[i + 3]),
                reset = daily and dayReset or monthReset,
              }
            end
            local over
            for _, meter in ipairs(meters) do
              if meter.limit >= 0 then
                local used = tonumber(redis.call('GET', meter.key) or '0')
                if used + tonumber(meter.amount) > meter.limit and (not over or meter.reset > over.reset) then
                  over = meter
                end
              end
            end
            if over then return {0, over.name, over.reset, now} end
            for _, meter in ipairs(meters) do
              if tonumber(meter.amount) ~= 0 then
                redis.call('INCRBY', meter.key, meter.amount)
                redis.call('EXPIREAT', meter.key, meter.reset + 86400)
              end
            end
            return {1, day, month}
            """
    )

    /// KEYS[1]: the key's counter prefix. ARGV: quadruples of meter name, delta, window id, and
    /// when that counter expires (its window's end plus a day, as `reserve` sets it). Adds each
    /// delta to the counter of the window given, whatever the clock says now, never below 0.
    static let adjust = RedisScript(
        """
        for i = 1, #ARGV, 4 do
          local key = KEYS[1] .. ':' .. ARGV[i] .. ':' .. ARGV[i + 2]
          if redis.call('INCRBY', key, ARGV[i + 1]) < 0 then redis.call('SET', key, 0) end
          redis.call('EXPIREAT', key, ARGV[i + 3])
        end
        return 1
        """
    )

    /// KEYS: each key's counter prefix. ARGV: pairs of meter name and its period.
    /// Answers `{now, day, month, counters...}`: for each key in turn, each meter's counter in
    /// the current window (nil where nothing was counted).
    static let usage = RedisScript(
        calendar + "\n"
            + """
            local now = tonumber(redis.call('TIME')[1])
            local day, month = windows(now)
            local names = {}
            for _, prefix in ipairs(KEYS) do
              for i = 1, #ARGV, 2 do
                names[#names + 1] = prefix .. ':' .. ARGV[i] .. ':' .. (ARGV[i + 1] == 'day' and day or month)
              end
            end
            local answer = {now, day, month}
            if #names > 0 then
              for _, value in ipairs(redis.call('MGET', unpack(names))) do answer[#answer + 1] = value end
            end
            return answer
            """
    )

    /// ARGV[1] (optional): an instant in Unix seconds; without it, Redis's clock.
    /// Answers `{day, month, day reset, month reset}`: the calendar the scripts above use, on
    /// its own, so that tests can check it at chosen instants without moving Redis's clock.
    static let windows = RedisScript(
        calendar + "\n"
            + """
            local now = tonumber(ARGV[1]) or tonumber(redis.call('TIME')[1])
            return {windows(now)}
            """
    )
}
