/// The fields of a head that say how its body is framed and whether the connection stays open.
package struct HTTP1FramingFields {
    package var contentLength: Int?
    /// A `Content-Length` that is not a number, or two different ones.
    package var invalidLength = false
    /// `Content-Length` given more than once (as a list or in several fields), with one value.
    package var repeatedLength = false
    package var transferEncoding = false
    /// The last coding of `Transfer-Encoding` is chunked.
    package var chunked = false
    var close = false
    var keepAliveToken = false
    /// How many `Host` fields the head has.
    package var hosts = 0

    package init() {}

    package mutating func note(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        switch name.count {
        case 4 where Self.equal(name, "host"):
            hosts += 1
        case 14 where Self.equal(name, "content-length"):
            for item in CommaList(value) {
                guard let length = Self.decimal(Self.trimmed(item)), contentLength == nil || contentLength == length
                else {
                    invalidLength = true
                    return
                }
                if contentLength != nil { repeatedLength = true }
                contentLength = length
            }
        case 17 where Self.equal(name, "transfer-encoding"):
            transferEncoding = true
            var last: Slice<UnsafeRawBufferPointer>?
            for item in CommaList(value) { last = item }
            chunked = last.map { Self.equal(Self.trimmed($0), "chunked") } ?? false
        case 10 where Self.equal(name, "connection"):
            for token in CommaList(value) {
                let token = Self.trimmed(token)
                if Self.equal(token, "close") { close = true }
                if Self.equal(token, "keep-alive") { keepAliveToken = true }
            }
        default:
            break
        }
    }

    /// HTTP/1.1 keeps a connection unless told to close; HTTP/1.0 only when told to keep it.
    package func keepAlive(minorVersion: UInt8) -> Bool {
        !close && (minorVersion == 1 || keepAliveToken)
    }

    private static func decimal(_ digits: UnsafeRawBufferPointer) -> Int? {
        guard !digits.isEmpty, digits.count <= 18 else { return nil }
        var value = 0
        for digit in digits {
            guard HTTP1Syntax.isDigit(digit) else { return nil }
            value = value * 10 + Int(digit - 0x30)
        }
        return value
    }

    private static func trimmed(_ bytes: Slice<UnsafeRawBufferPointer>) -> UnsafeRawBufferPointer {
        var bytes = bytes
        while let first = bytes.first, HTTP1Syntax.isSpace(first) { bytes.removeFirst() }
        while let last = bytes.last, HTTP1Syntax.isSpace(last) { bytes.removeLast() }
        return UnsafeRawBufferPointer(rebasing: bytes)
    }

    private static func equal(_ bytes: UnsafeRawBufferPointer, _ lowercase: StaticString) -> Bool {
        guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
        let known = lowercase.utf8Start
        for index in 0..<bytes.count where bytes[index].asciiLowercased != known[index] { return false }
        return true
    }
}

/// The items of a comma-separated field value, as they are (spaces included), without
/// building an array of them.
private struct CommaList: Sequence, IteratorProtocol {
    package let bytes: UnsafeRawBufferPointer
    var start: Int? = 0

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    package mutating func next() -> Slice<UnsafeRawBufferPointer>? {
        guard let from = start else { return nil }
        let comma = bytes[from...].firstIndex(of: UInt8(ascii: ","))
        start = comma.map { $0 + 1 }
        return bytes[from..<(comma ?? bytes.count)]
    }
}
