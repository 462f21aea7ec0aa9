/// Writes one server-sent event with a name, `event: <name>\ndata: <data>\n\n`, as Anthropic's
/// Messages streams and OpenAI's Responses streams carry each event's type on its own line.
package enum SSENamedEvent {
    /// `data` is one line of JSON; `name` a plain event type, which cannot end the line early.
    package static func append(_ name: String, data: some Collection<UInt8>, to out: inout [UInt8]) {
        out.reserveCapacity(out.count + name.utf8.count + data.count + 16)
        out.append(contentsOf: "event: ".utf8)
        out.append(contentsOf: name.utf8)
        out.append(contentsOf: "\ndata: ".utf8)
        out.append(contentsOf: data)
        out.append(contentsOf: "\n\n".utf8)
    }
}
