import NIOCore

/// Copies bytes into a buffer the size was counted for: the HTTP/1.1 heads Relay writes, each
/// name and value copied once instead of through one `ByteBuffer` write (with its capacity and
/// exclusivity checks) per run of bytes.
package struct RawByteWriter {
    let out: UnsafeMutableRawBufferPointer
    package var at = 0

    package init(out: UnsafeMutableRawBufferPointer, at: Int = 0) {
        self.out = out
        self.at = at
    }

    /// The text `write` puts, at most 32 bytes, written on the stack: short texts made of parts
    /// for every answer, where interpolating the parts costs several times as much.
    package static func text(_ write: (inout RawByteWriter) -> Void) -> String {
        var storage: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        return withUnsafeMutableBytes(of: &storage) { out in
            var writer = RawByteWriter(out: out)
            write(&writer)
            // The writer does not check its bounds (its other buffers are sized for what they get):
            // a text longer than the room given is a caller's bug, stopped here.
            precondition(writer.at <= out.count, "a text longer than RawByteWriter.text's room")
            return String(decoding: UnsafeRawBufferPointer(rebasing: out[..<writer.at]), as: UTF8.self)
        }
    }

    package mutating func put(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        (out.baseAddress! + at).copyMemory(from: base, byteCount: bytes.count)
        at += bytes.count
    }

    package mutating func put(_ text: StaticString) {
        put(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Returns the bytes `text` took, for a check of what was written.
    @discardableResult
    package mutating func put(_ text: String) -> UnsafeRawBufferPointer {
        let start = at
        // Native strings are contiguous: no copy of the string to make it so.
        if text.utf8.withContiguousStorageIfAvailable({ put(UnsafeRawBufferPointer($0)) }) == nil {
            var text = text
            text.withUTF8 { put(UnsafeRawBufferPointer($0)) }
        }
        return UnsafeRawBufferPointer(rebasing: out[start..<at])
    }

    package mutating func put(byte: UInt8) {
        out[at] = byte
        at += 1
    }

    /// `first`, `separator`, `second`, `end`: a line of an HTTP/1.1 head (`name: value` and CRLF).
    package mutating func putHeadLine(
        _ first: String, _ separator: StaticString, _ second: UnsafeRawBufferPointer, _ end: StaticString
    ) {
        put(first)
        put(separator)
        put(second)
        put(end)
    }

    /// `value` in decimal, with leading zeros to at least `digits` digits.
    package mutating func putDecimal(_ value: Int, digits: Int = 1) {
        if value < 0 { put(byte: UInt8(ascii: "-")) }
        var rest = value.magnitude
        // The digits are counted first, then written from the last, two at a time: half the
        // divisions of one at a time, and nothing to turn around.
        // An `Int`'s magnitude is below 10^19: 19 digits at most, and 10^19 still fits the power.
        var count = 1
        var power: UInt = 10
        while count < 19, rest >= power {
            count += 1
            power &*= 10
        }
        let start = at
        at += max(count, digits)
        var end = at
        let pairs = Self.digitPairs.utf8Start
        while rest >= 10 {
            let pair = Int(rest % 100) &* 2
            rest /= 100
            end -= 2
            out[end] = pairs[pair]
            out[end + 1] = pairs[pair + 1]
        }
        // One digit left, or none when the pairs took them all (a zero only where `digits` asks).
        if rest > 0 || end > start {
            end -= 1
            out[end] = UInt8(ascii: "0") + UInt8(rest)
        }
        while end > start {
            end -= 1
            out[end] = UInt8(ascii: "0")
        }
    }

    /// `00` to `99`, each pair at twice its value.
    private static let digitPairs: StaticString = """
        00010203040506070809101112131415161718192021222324252627282930313233343536373839\
        40414243444546474849505152535455565758596061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899
        """

    /// `thousandths` (1 to 999) as the digits after a decimal point, without trailing zeros:
    /// 5 is `005`, 50 `05`, 500 `5`.
    package mutating func putThousandths(_ thousandths: Int) {
        var fraction = thousandths
        var digits = 3
        while fraction % 10 == 0 {
            fraction /= 10
            digits -= 1
        }
        putDecimal(fraction, digits: digits)
    }

    package mutating func putHex(_ value: Int) {
        let digits: StaticString = "0123456789abcdef"
        var shift = max(0, (Int.bitWidth - value.leadingZeroBitCount + 3) / 4 - 1) * 4
        while shift >= 0 {
            put(byte: digits.utf8Start[(value >> shift) & 0xF])
            shift -= 4
        }
    }
}

extension ByteBuffer {
    /// Writes one line of an HTTP/1.1 head, `first`, `separator`, `second`, `end` (`name: value`
    /// and CRLF), each part copied once.
    package mutating func writeHeadLine(
        _ first: String, _ separator: StaticString, _ second: UnsafeRawBufferPointer, _ end: StaticString
    ) {
        let size = first.utf8.count + separator.utf8CodeUnitCount + second.count + end.utf8CodeUnitCount
        writeWithUnsafeMutableBytes(minimumWritableBytes: size) { out in
            var writer = RawByteWriter(out: out)
            writer.putHeadLine(first, separator, second, end)
            return writer.at
        }
    }
}

extension RawByteWriter {
    /// A whole number of microseconds as milliseconds, written as Swift writes the `Double`
    /// (`1577.048`, `0.005`, `2.0`): the shortest decimal that reads back as the same value.
    package mutating func putMilliseconds(microseconds: Int64) {
        guard microseconds >= 0 else {
            put(String(Double(microseconds) / 1000))
            return
        }
        putDecimal(Int(microseconds / 1000))
        put(byte: UInt8(ascii: "."))
        let fraction = Int(microseconds % 1000)
        if fraction > 0 { putThousandths(fraction) } else { put(byte: UInt8(ascii: "0")) }
    }
}
