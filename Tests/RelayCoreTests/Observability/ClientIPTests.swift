import Testing

@testable import RelayCore

@Suite struct ClientIPTests {
    static func resolve(peer: String, _ forwardedFor: String?, trusting: [String]) -> String? {
        ClientIP.resolve(
            peer: IPAddress(peer), forwardedFor: forwardedFor, trusted: TrustedProxies(trusting)
        )?.text
    }

    @Test func untrustedPeerIsTheClientWhateverItForwards() {
        #expect(Self.resolve(peer: "203.0.113.7", "198.51.100.1", trusting: []) == "203.0.113.7")
        #expect(Self.resolve(peer: "203.0.113.7", "198.51.100.1", trusting: ["10.0.0.0/8"]) == "203.0.113.7")
    }

    @Test func trustedPeerWithoutForwardedForIsTheClient() {
        #expect(Self.resolve(peer: "10.0.0.5", nil, trusting: ["10.0.0.0/8"]) == "10.0.0.5")
    }

    @Test func rightMostUntrustedAddressWins() {
        // The client wrote "1.1.1.1" itself; the proxies appended what they saw.
        let header = "1.1.1.1, 198.51.100.9, 10.0.0.2"
        #expect(Self.resolve(peer: "10.0.0.1", header, trusting: ["10.0.0.0/8"]) == "198.51.100.9")
        // Only the peer trusted: the right-most entry is the client, even a trusted-looking one.
        #expect(Self.resolve(peer: "10.0.0.1", header, trusting: ["10.0.0.1"]) == "10.0.0.2")
    }

    @Test func everyHopTrustedGivesTheLeftMost() {
        #expect(Self.resolve(peer: "10.0.0.1", "10.9.9.9,10.0.0.3", trusting: ["10.0.0.0/8"]) == "10.9.9.9")
    }

    @Test func garbageEndsTheWalkAtTheLastGoodAddress() {
        #expect(Self.resolve(peer: "10.0.0.1", "198.51.100.9, unknown", trusting: ["10.0.0.0/8"]) == "10.0.0.1")
        #expect(Self.resolve(peer: "10.0.0.1", "bogus, 10.0.0.7", trusting: ["10.0.0.0/8"]) == "10.0.0.7")
        #expect(Self.resolve(peer: "10.0.0.1", "<script>", trusting: ["10.0.0.0/8"]) == "10.0.0.1")
    }

    @Test func portsBracketsAndSpacingAsProxiesWriteThem() {
        let trusted = ["127.0.0.1", "::1"]
        #expect(Self.resolve(peer: "127.0.0.1", "198.51.100.9:4711", trusting: trusted) == "198.51.100.9")
        #expect(Self.resolve(peer: "::1", "[2001:DB8::1]:443", trusting: trusted) == "2001:db8::1")
        #expect(Self.resolve(peer: "::1", " 2001:db8:0:0::2 ,  ", trusting: trusted) == "2001:db8::2")
    }

    @Test func ipv4MappedPeerMatchesIPv4Blocks() {
        #expect(Self.resolve(peer: "::ffff:10.0.0.1", "198.51.100.9", trusting: ["10.0.0.0/8"]) == "198.51.100.9")
        #expect(IPAddress("::ffff:192.0.2.1")?.text == "192.0.2.1")
    }

    @Test func spellsEveryIPv4OctetInEveryPosition() {
        for octet in 0...255 {
            for position in 0..<4 {
                var octets = [192, 0, 2, 1]
                octets[position] = octet
                let spelled = octets.map(String.init).joined(separator: ".")
                #expect(IPAddress(spelled)?.text == spelled)
            }
        }
    }

    @Test func prefixesMatchExactlyTheirBlock() {
        let trusted = TrustedProxies(["192.168.4.0/22", "2001:db8:abcd::/48", "0.0.0.0/0"])
        #expect(trusted.contains(IPAddress("192.168.7.255")!))
        #expect(!TrustedProxies(["192.168.4.0/22"]).contains(IPAddress("192.168.8.0")!))
        #expect(trusted.contains(IPAddress("2001:db8:abcd:ffff::1")!))
        #expect(!trusted.contains(IPAddress("2001:db8:abce::1")!))
        // Families stay apart: 0.0.0.0/0 is every IPv4 address and no IPv6 one.
        #expect(trusted.contains(IPAddress("8.8.8.8")!))
        #expect(!TrustedProxies(["0.0.0.0/0"]).contains(IPAddress("2001:db8::1")!))
        #expect(!TrustedProxies(["::/0"]).contains(IPAddress("8.8.8.8")!))
    }
}
