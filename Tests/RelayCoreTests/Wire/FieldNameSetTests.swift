import Testing

@testable import RelayCore

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

    @Test func matchesAPrefixInAnyCase() {
        #expect(FieldNameSet.name("X-RateLimit-Limit-Requests", hasPrefix: "x-ratelimit-"))
        #expect(FieldNameSet.name("x-ratelimit-", hasPrefix: "x-ratelimit-"))
        #expect(!FieldNameSet.name("x-ratelimit", hasPrefix: "x-ratelimit-"))
        #expect(!FieldNameSet.name("x-relay-backend", hasPrefix: "x-ratelimit-"))
    }
}
