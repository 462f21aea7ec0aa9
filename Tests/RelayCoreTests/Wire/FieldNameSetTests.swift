import Testing

@testable import RelayCore
@testable import RelayWire

@Suite struct FieldNameSetTests {
    private let set = FieldNameSet(["date", "server", "content-length", "te"])

    @Test func findsNamesInAnyCase() {
        #expect(set.position(of: "date") == 0)
        #expect(set.position(of: "Server") == 1)
        #expect(set.position(of: "CONTENT-LENGTH") == 2)
        #expect(set.position(of: "tE") == 3)
    }

    @Test func refusesOtherNamesOfTheSameLength() {
        #expect(!set.contains("data"))
        #expect(!set.contains("serves"))
        #expect(!set.contains("content-lengtH2"))
        #expect(!set.contains(""))
        #expect(!set.contains("dat\u{e9}"))
        #expect(!set.contains("content-length-and-more"))
        #expect(FieldNameSet([]).position(of: "date") == nil)
    }

    @Test func findsTheBytesOfANameAsItFindsTheString() {
        for name in ["date", "Server", "CONTENT-LENGTH", "tE", "data", "", "dat\u{e9}", "content-length-and-more"] {
            let position = Array(name.utf8).withUnsafeBytes { set.position(of: $0) }
            #expect(position == set.position(of: name), "\(name)")
        }
    }

    @Test func matchesAPrefixInAnyCase() {
        func name(_ name: String, hasPrefix prefix: StaticString) -> Bool {
            Array(name.utf8).withUnsafeBytes { FieldNameSet.name($0, hasPrefix: prefix) }
        }
        #expect(name("X-RateLimit-Limit-Requests", hasPrefix: "x-ratelimit-"))
        #expect(name("x-ratelimit-", hasPrefix: "x-ratelimit-"))
        #expect(!name("x-ratelimit", hasPrefix: "x-ratelimit-"))
        #expect(!name("x-relay-backend", hasPrefix: "x-ratelimit-"))
    }

    @Test func everyByteInEveryPlaceIsMatchedAsAByteByByteComparisonWould() {
        let names = ["a", "te", "x-a_b", "content-type", "x-ratelimit-reset", "x-ratelimit-remaining-requests"]
        let set = FieldNameSet(names)
        func naive(_ bytes: [UInt8]) -> Int? {
            names.firstIndex {
                $0.utf8.count == bytes.count && zip($0.utf8, bytes).allSatisfy { $0 == $1.asciiLowercased }
            }
        }
        for name in names {
            let upper = Array(name.uppercased().utf8)
            for place in upper.indices {
                for byte in UInt8.min...UInt8.max {
                    var bytes = upper
                    bytes[place] = byte
                    #expect(bytes.withUnsafeBytes { set.position(of: $0) } == naive(bytes), "\(bytes)")
                }
            }
        }
    }
}
