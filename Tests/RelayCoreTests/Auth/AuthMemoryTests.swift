import NIOCore
import Testing

@testable import RelayCore

@Suite("Auth caches, throttle and client keys")
struct AuthMemoryTests {
    func digest(_ text: String) -> KeyDigest { KeyDigest(of: Array(text.utf8)) }

    @Test func boundedMapDropsTheOldestEntry() {
        var map = BoundedDigestMap<Int>(capacity: 3)
        for index in 0..<5 { map.insert(digest("k\(index)"), index) }
        #expect(map.count == 3)
        #expect(map[digest("k0")] == nil && map[digest("k1")] == nil)
        #expect(map[digest("k4")] == 4)
        map.insert(digest("k4"), 40)  // an update takes no new slot
        #expect(map.count == 3 && map[digest("k2")] == 2 && map[digest("k4")] == 40)
    }

    @Test func throttleRefillsAndCapsDebt() {
        let clock = ManualRateLimitClock()
        var policy = FailedKeyThrottle.Policy()
        policy.burst = 2
        policy.refillPerSecond = 1
        policy.maximumDebt = 5
        let throttle = FailedKeyThrottle(policy: policy, clock: clock)
        let client = ClientAddressKey(try? SocketAddress(ipAddress: "192.0.2.1", port: 1))
        #expect(throttle.reserve(client, runs: 100))
        #expect(!throttle.reserve(client, runs: 1))
        clock.advance(milliseconds: 5_999)  // -5 + 5.999 < 1
        #expect(!throttle.reserve(client, runs: 1))
        clock.advance(milliseconds: 1)
        #expect(throttle.reserve(client, runs: 1))
        // 0 left; a check that succeeds gives its runs back.
        throttle.refund(client, runs: 1)
        #expect(throttle.reserve(client, runs: 1))
        #expect(!throttle.reserve(client, runs: 1))
    }

    @Test func throttleTableStaysBounded() throws {
        let clock = ManualRateLimitClock()
        var policy = FailedKeyThrottle.Policy()
        policy.maximumAddresses = 3
        policy.refillPerSecond = 1
        let throttle = FailedKeyThrottle(policy: policy, clock: clock)
        for index in 1...5 {
            let client = ClientAddressKey(try SocketAddress(ipAddress: "192.0.2.\(index)", port: 1))
            #expect(throttle.reserve(client, runs: 20) == (index <= 3))
        }
        #expect(throttle.trackedAddresses == 3)
        // Full of addresses in debt: a new one waits rather than growing the table.
        let newcomer = ClientAddressKey(try SocketAddress(ipAddress: "198.51.100.1", port: 1))
        #expect(!throttle.reserve(newcomer, runs: 1))
        // Once they have paid off, they are forgotten to make room.
        clock.advance(milliseconds: 60_000)
        #expect(throttle.reserve(newcomer, runs: 1))
        #expect(throttle.trackedAddresses == 1)
    }

    @Test func clientKeysAreIPv4OrIPv6Slash64() throws {
        func key(_ ip: String) throws -> String { ClientAddressKey(try SocketAddress(ipAddress: ip, port: 9)).text }
        #expect(try key("192.0.2.7") == "4:c0000207")
        #expect(try key("::ffff:192.0.2.7") == "4:c0000207")
        #expect(try key("2001:db8:1:2::1") == "6:20010db800010002")
        #expect(try key("2001:db8:1:2::1") == key("2001:db8:1:2:ffff::9"))
        #expect(try key("2001:db8:1:2::1") != key("2001:db8:1:3::1"))
        #expect(ClientAddressKey(nil) == .unknown)
        #expect(ClientAddressKey(try SocketAddress(unixDomainSocketPath: "/tmp/relay.sock")) == .unknown)
        #expect(ClientAddressKey.unknown.text == "unknown")
        #expect(try ClientAddressKey(SocketAddress(ipAddress: "0.0.0.0", port: 9)) != .unknown)
    }

    @Test(arguments: ["192.0.2.7", "::ffff:192.0.2.7", "2001:db8:1:2::1", "10.0.0.1", "::1"])
    func forwardedAddressesGetTheSameKeysAsPeers(_ ip: String) throws {
        let resolved = try #require(IPAddress(ip))
        #expect(ClientAddressKey(resolved) == ClientAddressKey(try SocketAddress(ipAddress: ip, port: 9)))
    }
}
