import RelayRedis
import Testing

@Suite struct RedisConfigurationTests {
    @Test func readsEveryPart() throws {
        let configuration = try RedisConfiguration(url: "redis://relay:p%40ss%3Aword@cache.internal:6380/3")
        #expect(configuration.host == "cache.internal")
        #expect(configuration.port == 6380)
        #expect(configuration.username == "relay")
        #expect(configuration.password == "p@ss:word")
        #expect(configuration.database == 3)
    }

    @Test func defaultsAndShortForms() throws {
        let plain = try RedisConfiguration(url: "redis://localhost")
        #expect(plain.host == "localhost")
        #expect(plain.port == 6379)
        #expect(plain.database == 0)
        #expect(plain.username == nil)
        #expect(plain.password == nil)

        let passwordOnly = try RedisConfiguration(url: "redis://:secret@127.0.0.1:6379/0")
        #expect(passwordOnly.username == nil)
        #expect(passwordOnly.password == "secret")

        let atInPassword = try RedisConfiguration(url: "redis://:a@b@host/1")
        #expect(atInPassword.password == "a@b")
        #expect(atInPassword.host == "host")

        let ipv6 = try RedisConfiguration(url: "redis://[::1]:7000/")
        #expect(ipv6.host == "::1")
        #expect(ipv6.port == 7000)
    }

    @Test(arguments: [
        ("http://host", RedisURLError.unsupportedScheme),
        ("redis://", .invalidHost),
        ("redis://[::1", .invalidHost),
        ("redis://host:0", .invalidPort),
        ("redis://host:99999", .invalidPort),
        ("redis://host:port", .invalidPort),
        ("redis://host/db", .invalidDatabase),
        ("redis://:%zz@host", .invalidPercentEncoding),
    ])
    func rejectsBadURLs(url: String, expected: RedisURLError) {
        #expect(throws: expected) { try RedisConfiguration(url: url) }
    }

    @Test func scriptsAreNamedByTheirSHA1() {
        #expect(RedisScript("abc").sha1 == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(RedisScript("").sha1 == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        let long = String(repeating: "a", count: 1000)
        #expect(RedisScript(long).sha1 == "291e9a6c66994949b57ba5e650361e98fc36b1ba")
    }
}
