/// SHA-256 (FIPS 180-4), for key digests and `sha256:` key hashes.
///
/// One call hashes a whole message: Relay's messages are keys, never streams. The work is done
/// on the caller's bytes and on the stack; the digest's array is the one allocation.
///
/// ```swift
/// let digest = key.withUnsafeBytes { SHA256Hash.digest(of: $0) }  // 32 bytes
/// ```
enum SHA256Hash {
    /// The digest's length in bytes.
    static let byteCount = 32

    static func digest(of message: UnsafeRawBufferPointer) -> [UInt8] {
        var state = State()
        roundConstants.withUnsafeBufferPointer { constants in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { schedule in
                let wholeBlocks = message.count / 64
                for block in 0..<wholeBlocks {
                    let start = message.baseAddress! + block * 64
                    state.compress(UnsafeRawBufferPointer(start: start, count: 64), constants, schedule)
                }
                // Padding (§5.1.1): the message's last bytes, a 1 bit, zeros, and the message's
                // length in bits as the last 8 bytes; one block, or two when the length does not
                // fit after the last bytes.
                withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 128) { tail in
                    tail.initialize(repeating: 0)
                    let rest = message.count - wholeBlocks * 64
                    if rest > 0 {
                        let restStart = message.baseAddress! + wholeBlocks * 64
                        UnsafeMutableRawBufferPointer(tail).copyMemory(
                            from: UnsafeRawBufferPointer(start: restStart, count: rest))
                    }
                    tail[rest] = 0x80
                    let tailLength = rest < 56 ? 64 : 128
                    let bitLength = UInt64(message.count) &* 8
                    for index in 0..<8 {
                        tail[tailLength - 1 - index] = UInt8(truncatingIfNeeded: bitLength >> (8 * index))
                    }
                    let tailBytes = UnsafeRawBufferPointer(tail)
                    state.compress(UnsafeRawBufferPointer(rebasing: tailBytes[0..<64]), constants, schedule)
                    if tailLength == 128 {
                        state.compress(UnsafeRawBufferPointer(rebasing: tailBytes[64..<128]), constants, schedule)
                    }
                }
            }
        }
        return Array(unsafeUninitializedCapacity: byteCount) { bytes, count in
            let raw = UnsafeMutableRawBufferPointer(bytes)
            raw.storeBytes(of: state.a.bigEndian, toByteOffset: 0, as: UInt32.self)
            raw.storeBytes(of: state.b.bigEndian, toByteOffset: 4, as: UInt32.self)
            raw.storeBytes(of: state.c.bigEndian, toByteOffset: 8, as: UInt32.self)
            raw.storeBytes(of: state.d.bigEndian, toByteOffset: 12, as: UInt32.self)
            raw.storeBytes(of: state.e.bigEndian, toByteOffset: 16, as: UInt32.self)
            raw.storeBytes(of: state.f.bigEndian, toByteOffset: 20, as: UInt32.self)
            raw.storeBytes(of: state.g.bigEndian, toByteOffset: 24, as: UInt32.self)
            raw.storeBytes(of: state.h.bigEndian, toByteOffset: 28, as: UInt32.self)
            count = byteCount
        }
    }

    /// The hash value H (§5.3.3 for its first value), as eight working words.
    private struct State {
        var a: UInt32 = 0x6a09_e667
        var b: UInt32 = 0xbb67_ae85
        var c: UInt32 = 0x3c6e_f372
        var d: UInt32 = 0xa54f_f53a
        var e: UInt32 = 0x510e_527f
        var f: UInt32 = 0x9b05_688c
        var g: UInt32 = 0x1f83_d9ab
        var h: UInt32 = 0x5be0_cd19

        /// Adds one 64-byte block to the hash value (§6.2.2). `schedule` has room for the 64
        /// words W.
        @inline(__always)
        mutating func compress(
            _ block: UnsafeRawBufferPointer, _ constants: UnsafeBufferPointer<UInt32>,
            _ schedule: UnsafeMutableBufferPointer<UInt32>
        ) {
            for t in 0..<16 {
                schedule[t] = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: 4 * t, as: UInt32.self))
            }
            for t in 16..<64 {
                schedule[t] =
                    smallSigma1(schedule[t - 2]) &+ schedule[t - 7] &+ smallSigma0(schedule[t - 15]) &+ schedule[t - 16]
            }
            var (a, b, c, d, e, f, g, h) = (self.a, self.b, self.c, self.d, self.e, self.f, self.g, self.h)
            // Eight rounds at a time, each naming the working variables where the last one left
            // them, instead of moving all eight along every round.
            var t = 0
            while t < 64 {
                round(a, b, c, &d, e, f, g, &h, constants[t] &+ schedule[t])
                round(h, a, b, &c, d, e, f, &g, constants[t + 1] &+ schedule[t + 1])
                round(g, h, a, &b, c, d, e, &f, constants[t + 2] &+ schedule[t + 2])
                round(f, g, h, &a, b, c, d, &e, constants[t + 3] &+ schedule[t + 3])
                round(e, f, g, &h, a, b, c, &d, constants[t + 4] &+ schedule[t + 4])
                round(d, e, f, &g, h, a, b, &c, constants[t + 5] &+ schedule[t + 5])
                round(c, d, e, &f, g, h, a, &b, constants[t + 6] &+ schedule[t + 6])
                round(b, c, d, &e, f, g, h, &a, constants[t + 7] &+ schedule[t + 7])
                t += 8
            }
            self.a &+= a
            self.b &+= b
            self.c &+= c
            self.d &+= d
            self.e &+= e
            self.f &+= f
            self.g &+= g
            self.h &+= h
        }
    }

    /// K (§4.2.2): the first 32 bits of the fractional parts of the cube roots of the first 64
    /// primes.
    private static let roundConstants: [UInt32] = [
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
    ]
}

// The functions of §4.1.2.

@inline(__always)
private func rotateRight(_ x: UInt32, _ n: UInt32) -> UInt32 { x &>> n | x &<< (32 &- n) }
@inline(__always)
private func choose(_ x: UInt32, _ y: UInt32, _ z: UInt32) -> UInt32 { (x & y) ^ (~x & z) }
@inline(__always)
private func majority(_ x: UInt32, _ y: UInt32, _ z: UInt32) -> UInt32 { (x & y) ^ (x & z) ^ (y & z) }
@inline(__always)
private func bigSigma0(_ x: UInt32) -> UInt32 { rotateRight(x, 2) ^ rotateRight(x, 13) ^ rotateRight(x, 22) }
@inline(__always)
private func bigSigma1(_ x: UInt32) -> UInt32 { rotateRight(x, 6) ^ rotateRight(x, 11) ^ rotateRight(x, 25) }
@inline(__always)
private func smallSigma0(_ x: UInt32) -> UInt32 { rotateRight(x, 7) ^ rotateRight(x, 18) ^ (x &>> 3) }
@inline(__always)
private func smallSigma1(_ x: UInt32) -> UInt32 { rotateRight(x, 17) ^ rotateRight(x, 19) ^ (x &>> 10) }

/// One round of §6.2.2 step 3, `kw` being K[t] + W[t]. Of the eight working variables only two
/// change: `d` becomes the next `e` (d + T1) and `h` the next `a` (T1 + T2); the caller renames the
/// others by passing them one place along.
@inline(__always)
private func round(
    _ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: inout UInt32, _ e: UInt32, _ f: UInt32, _ g: UInt32,
    _ h: inout UInt32, _ kw: UInt32
) {
    let t1 = h &+ bigSigma1(e) &+ choose(e, f, g) &+ kw
    d &+= t1
    h = t1 &+ bigSigma0(a) &+ majority(a, b, c)
}
