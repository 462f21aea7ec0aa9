/// Removes the whitespace between the tokens of a JSON text (never inside strings).
///
/// Tool-call arguments become a JSON *string* for OpenAI clients; Ollama writes them compact,
/// and this keeps them so when an answer was pretty-printed (a proxy, a test stub), so the
/// string is the same whoever produced it.
package enum JSONCompaction {
    package static func compact(_ json: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(json.count)
        var inString = false
        var escaped = false
        for byte in json {
            if inString {
                out.append(byte)
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"):
                continue
            case UInt8(ascii: "\""):
                inString = true
                out.append(byte)
            default:
                out.append(byte)
            }
        }
        return out
    }
}
