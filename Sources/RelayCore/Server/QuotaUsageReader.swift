import Logging
import NIOPosix
import RelayRedis

/// What `relay usage` prints: the quota report read from the store the gateway counts in, the
/// config's Redis or its state file, without a running gateway.
package enum QuotaUsageReader {
    package static func report(config: RelayConfig) async throws(QuotaStoreError) -> QuotaUsageReport {
        let keys = config.apiKeys.filter { $0.quotas != nil || $0.budget != nil }
        guard !keys.isEmpty else {
            return QuotaUsageReport(keys: [], windows: QuotaWindows(day: 0, month: 0), used: [:])
        }
        if let url = config.redisURL {
            guard var configuration = try? RedisConfiguration(url: url) else {
                throw QuotaStoreError(reason: "redis_url cannot be read")
            }
            configuration.tls?.trustRoots = config.redisCABundle?.certificates
            let client = RedisClient(
                configuration: configuration, eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
                logger: Logger(label: "relay.usage"))
            defer { Task { await client.shutdown() } }
            let (windows, used) = try await RedisQuotaStore(client: client).usage(keys: keys.map(\.name))
            return QuotaUsageReport(keys: keys, windows: windows, used: used)
        }
        let store = try await FileQuotaStore.open(path: config.statePath)
        defer { Task { await store.close() } }
        let (windows, used) = try await store.usage(keys: keys.map(\.name))
        return QuotaUsageReport(keys: keys, windows: windows, used: used)
    }
}
