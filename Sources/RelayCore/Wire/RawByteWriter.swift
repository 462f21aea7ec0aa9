/// Copies bytes into a buffer the size was counted for: the HTTP/1.1 heads Relay writes, each
/// name and value copied once instead of through one `ByteBuffer` write (with its capacity and
/// exclusivity checks) per run of bytes.
struct RawByteWriter {
    let out: UnsafeMutableRawBufferPointer
    var at = 0

    mutating func put(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        (out.baseAddress! + at).copyMemory(from: base, byteCount: bytes.count)
        at += bytes.count
    }

    mutating func put(_ text: StaticString) {
        put(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    mutating func put(_ text: String) {
        // Native strings are contiguous: no copy of the string to make it so.
        if text.utf8.withContiguousStorageIfAvailable({ put(UnsafeRawBufferPointer($0)) }) == nil {
            var text = text
            text.withUTF8 { put(UnsafeRawBufferPointer($0)) }
        }
    }

    mutating func put(byte: UInt8) {
        out[at] = byte
        at += 1
    }

    mutating func putHex(_ value: Int) {
        let digits: StaticString = "0123456789abcdef"
        var shift = max(0, (Int.bitWidth - value.leadingZeroBitCount + 3) / 4 - 1) * 4
        while shift >= 0 {
            put(byte: digits.utf8Start[(value >> shift) & 0xF])
            shift -= 4
        }
    }
}
