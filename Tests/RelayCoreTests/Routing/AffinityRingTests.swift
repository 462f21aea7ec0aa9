import Testing

@testable import RelayCore
@testable import RelayWire

@Suite struct AffinityRingTests {
    @Test func aKeyHasOneHomeAndEveryBackendComesOnce() {
        let ring = AffinityRing(backendNames: ["a", "b", "c"])
        let key = AffinityKey.hash("conversation-7")
        let order = ring.preference(for: key)
        #expect(Set(order) == [0, 1, 2] && order.count == 3)
        #expect(ring.preference(for: key) == order)
        // Another replica of Relay builds the same ring.
        #expect(AffinityRing(backendNames: ["a", "b", "c"]).preference(for: key) == order)
    }

    @Test func keysSpreadOverTheBackends() {
        let ring = AffinityRing(backendNames: ["a", "b"])
        let homes = (0..<100).map { ring.preference(for: AffinityKey.hash("conversation-\($0)"))[0] }
        #expect(homes.filter { $0 == 0 }.count > 25 && homes.filter { $0 == 1 }.count > 25)
    }

    @Test func aBackendAtTheLoadBoundPassesTheKeyOn() {
        let ring = AffinityRing(backendNames: ["a", "b"])
        let key = AffinityKey.hash("hot")
        let home = ring.preference(for: key)[0]
        var inFlight = [0, 0]
        // 2 in flight at home, none elsewhere: this request would make home 3 where the bound is
        // 1.25 × (2 + 1) / 2, rounded up: 2.
        inFlight[home] = 2
        #expect(ring.order(for: key, inFlight: inFlight) == [1 - home, home])
        // 1 at home: 2, within 1.25 × 2 / 2 rounded up.
        inFlight[home] = 1
        #expect(ring.order(for: key, inFlight: inFlight) == [home, 1 - home])
    }

    @Test func theOpeningOfAConversationNamesItWhenNothingElseDoes() throws {
        func key(_ json: String) throws -> UInt64 {
            try AffinityKey.of(ClientRequest(body: Array(json.utf8)), sessionID: nil)
        }
        let opening = #"{"role":"system","content":"doc"},{"role":"user","content":"q1"}"#
        let first = try key(#"{"model":"m","messages":[\#(opening)]}"#)
        let later = try key(
            #"{"model":"m","messages":[\#(opening),{"role":"assistant","content":"a"},"#
                + #"{"role":"user","content":"q2"}]}"#)
        #expect(first == later)
        #expect(try key(#"{"model":"m","messages":[{"role":"user","content":"other"}]}"#) != first)
        #expect(try key(#"{"model":"m","user":"u1","messages":[]}"#) == AffinityKey.hash("u1"))
        #expect(try key(#"{"model":"m","prompt_cache_key":"k","user":"u1"}"#) == AffinityKey.hash("k"))
    }
}
