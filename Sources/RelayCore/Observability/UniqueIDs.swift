import Synchronization

/// Ids for requests and traces: a counter run through a bijective mixer with random
/// per-process seeds. Unique within the process, random across processes, and cheaper than a
/// system call (`getrandom`) per request.
enum UniqueIDs {
    private static let counter = Atomic<UInt64>(0)
    private static let seeds: (UInt64, UInt64, UInt64) = {
        var generator = SystemRandomNumberGenerator()
        return (generator.next(), generator.next(), generator.next())
    }()

    /// Three words from one count; each is distinct from the same word of every other count.
    static func next() -> (a: UInt64, b: UInt64, c: UInt64) {
        let count = counter.wrappingAdd(1, ordering: .relaxed).newValue
        return (mix(seeds.0 &+ count), mix(seeds.1 &+ count), mix(seeds.2 &+ count))
    }

    /// SplitMix64's finaliser: a bijection on 64 bits, so distinct inputs give distinct ids.
    private static func mix(_ input: UInt64) -> UInt64 {
        var z = input &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
