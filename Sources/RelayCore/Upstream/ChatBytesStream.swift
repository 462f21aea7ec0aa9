import NIOCore
import RelayWire

/// An OpenAI-API backend's stream as it comes: its bytes are already chat events.
struct ChatBytesStream: StreamTranslator {
    package mutating func translate(_ buffer: ByteBuffer, into out: inout [UInt8]) {
        out.append(contentsOf: buffer.readableBytesView)
    }

    mutating func finish(into out: inout [UInt8]) {}

    var isFinished: Bool { false }
    var sawError: Bool { false }
    var usage: Usage { Usage(promptTokens: 0, completionTokens: 0, estimated: true) }
}
