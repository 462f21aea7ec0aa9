import Foundation
import Logging

/// Builds one structured log line, as JSON (`{"ts":…,"level":…,"msg":…,…}`) or as text.
public struct LogLine {
    private var fields: [(String, Value)] = []

    public enum Value {
        case string(String)
        case int(Int)
        case double(Double)
        case bool(Bool)
        case strings([String])
    }

    public init(level: Logger.Level, message: String, date: Date = Date()) {
        fields.append(("ts", .string(Self.timestamp(date))))
        fields.append(("level", .string(level.rawValue)))
        fields.append(("msg", .string(message)))
    }

    public mutating func add(_ key: String, _ value: Value) {
        fields.append((key, value))
    }

    public mutating func add(_ key: String, _ value: String?) {
        if let value { fields.append((key, .string(value))) }
    }

    public mutating func add(_ key: String, _ value: Int?) {
        if let value { fields.append((key, .int(value))) }
    }

    public func render(_ format: LogFormat) -> [UInt8] {
        switch format {
        case .json: json()
        case .text: text()
        }
    }

    func json() -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "{")]
        for (index, (key, value)) in fields.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out += JSONString.encode(key)
            out.append(UInt8(ascii: ":"))
            switch value {
            case .string(let string): out += JSONString.encode(string)
            case .int(let int): out += Array(String(int).utf8)
            case .double(let double): out += Array((double.isFinite ? String(double) : "null").utf8)
            case .bool(let bool): out += Array((bool ? "true" : "false").utf8)
            case .strings(let strings):
                out.append(UInt8(ascii: "["))
                out += Array(strings.map { JSONString.encode($0) }.joined(separator: [UInt8(ascii: ",")]))
                out.append(UInt8(ascii: "]"))
            }
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// `ts level msg key=value …`, strings quoted only when they hold spaces or quotes.
    func text() -> [UInt8] {
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

    private static func timestamp(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970)
        let millis = Int((date.timeIntervalSince1970 - Double(seconds)) * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(millis), 3))Z"
    }
}
