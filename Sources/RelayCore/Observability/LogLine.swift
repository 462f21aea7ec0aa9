import FoundationEssentials
import Glibc
import Logging
import RelayWire

/// Builds one structured log line, as JSON (`{"ts":…,"level":…,"msg":…,…}`) or as text.
struct LogLine {
    private var fields: [(String, Value)] = []

    enum Value {
        case string(String)
        case int(Int)
        case double(Double)
        case bool(Bool)
        case strings([String])
    }

    init(level: Logger.Level, message: String, date: Date = Date()) {
        fields.reserveCapacity(24)  // an access line's fields, in one allocation
        fields.append(("ts", .string(Self.timestamp(date))))
        fields.append(("level", .string(level.rawValue)))
        fields.append(("msg", .string(message)))
    }

    mutating func add(_ key: String, _ value: Value) {
        fields.append((key, value))
    }

    mutating func add(_ key: String, _ value: String?) {
        if let value { fields.append((key, .string(value))) }
    }

    mutating func add(_ key: String, _ value: Int?) {
        if let value { fields.append((key, .int(value))) }
    }

    func render(_ format: LogFormat) -> [UInt8] {
        switch format {
        case .json: json()
        case .text: text()
        }
    }

    /// One buffer, written front to back: a line is built for every request.
    func json() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        out.append(UInt8(ascii: "{"))
        for index in fields.indices {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            JSONString.encode(fields[index].0, into: &out)
            out.append(UInt8(ascii: ":"))
            switch fields[index].1 {
            case .string(let string): JSONString.encode(string, into: &out)
            case .int(let int): Self.appendDecimal(int, to: &out)
            case .double(let double): out += (double.isFinite ? String(double) : "null").utf8
            case .bool(let bool): out += (bool ? "true" : "false").utf8
            case .strings(let strings):
                out.append(UInt8(ascii: "["))
                for (position, string) in strings.enumerated() {
                    if position > 0 { out.append(UInt8(ascii: ",")) }
                    JSONString.encode(string, into: &out)
                }
                out.append(UInt8(ascii: "]"))
            }
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// `value` in decimal, without an intermediate String.
    static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // room for 20 digits, on the stack
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            for position in stride(from: count - 1, through: 0, by: -1) { out.append(buffer[position]) }
        }
    }

    /// `ts level msg key=value …`, strings quoted only when they hold spaces or quotes.
    package func text() -> [UInt8] {
        var parts: [String] = []
        for (key, value) in fields {
            switch (key, value) {
            case ("ts", .string(let string)), ("level", .string(let string)), ("msg", .string(let string)):
                parts.append(string)
            case (_, .string(let string)):
                let plain = !string.isEmpty && !string.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" })
                parts.append("\(key)=\(plain ? string : String(decoding: JSONString.encode(string), as: UTF8.self))")
            case (_, .int(let int)): parts.append("\(key)=\(int)")
            case (_, .double(let double)): parts.append("\(key)=\(double)")
            case (_, .bool(let bool)): parts.append("\(key)=\(bool)")
            case (_, .strings(let strings)):
                let joined = JSONString.encode(strings.joined(separator: "; "))
                parts.append("\(key)=" + String(decoding: joined, as: UTF8.self))
            }
        }
        return Array(parts.joined(separator: " ").utf8)
    }

    static func timestamp(_ date: Date) -> String {
        RawByteWriter.text { putTimestamp(date, into: &$0) }
    }

    /// `date` as `yyyy-mm-ddThh:mm:ss.mmmZ` (24 bytes).
    static func putTimestamp(_ date: Date, into out: inout RawByteWriter) {
        let since1970 = date.timeIntervalSince1970
        var seconds = time_t(since1970)
        let millis = Int((since1970 - Double(seconds)) * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        // Two digits at a time: a general decimal writer costs several times as much here.
        func two(_ value: Int32, then separator: UInt8) {
            out.put(byte: UInt8(ascii: "0") + UInt8(value / 10 % 10))
            out.put(byte: UInt8(ascii: "0") + UInt8(value % 10))
            out.put(byte: separator)
        }
        let year = parts.tm_year + 1900
        out.put(byte: UInt8(ascii: "0") + UInt8(year / 1000 % 10))
        out.put(byte: UInt8(ascii: "0") + UInt8(year / 100 % 10))
        two(year % 100, then: UInt8(ascii: "-"))
        two(parts.tm_mon + 1, then: UInt8(ascii: "-"))
        two(parts.tm_mday, then: UInt8(ascii: "T"))
        two(parts.tm_hour, then: UInt8(ascii: ":"))
        two(parts.tm_min, then: UInt8(ascii: ":"))
        two(parts.tm_sec, then: UInt8(ascii: "."))
        let millisecond = Int32(min(max(millis, 0), 999))
        out.put(byte: UInt8(ascii: "0") + UInt8(millisecond / 100))
        two(millisecond % 100, then: UInt8(ascii: "Z"))
    }
}
