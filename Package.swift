// swift-tools-version:6.2
import PackageDescription

// A nonisolated async function runs on its caller's executor, as in Swift 7: a request's task
// stays on its connection's event loop without a task switch (and a look-up of the task's
// preferred executor, under a lock) at every call.
let gatewaySettings: [SwiftSetting] = [.enableUpcomingFeature("NonisolatedNonsendingByDefault")]

let package = Package(
    name: "relay",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "relay", targets: ["relay"]),
        .library(name: "RelayCore", targets: ["RelayCore", "RelayHTTP", "RelayWire"]),
        // For the benchmark package (Benchmarks/), which measures the Redis limiter with its client.
        .library(name: "RelayRedis", targets: ["RelayRedis"]),
    ],
    dependencies: [
        // No traits: the defaults bring full Foundation (with ICU's data) and swift-configuration,
        // neither of which Relay uses.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        // For the tests' own HTTP client only.
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        // Already in the graph through Hummingbird; used directly for TLS (upstreams, Redis, the server).
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        // For the tests only: Relay's own SHA-256 is checked against swift-crypto's.
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // For the tests only: RelayYAML's trees are checked against the ones Yams composes. Yams
        // carries its own copy of LibYAML's C functions, which takes the place of the system
        // library in the test binary; `relay` itself links only the system one.
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // The embedded state file of quotas and budgets without Redis (`state_path`).
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
    ],
    targets: [
        .executableTarget(
            name: "relay",
            dependencies: [
                "RelayCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            linkerSettings: [
                // lld, for two things gold cannot do, both to keep the pages a started relay
                // touches few: packed relative relocations (DT_RELR), so the loader's table
                // stays small, and no dynamic symbol table, which the static Swift runtime's
                // link flags would fill with every symbol of Relay's own though nothing looks
                // them up (docs/performance.md).
                .unsafeFlags(
                    [
                        "-use-ld=lld",
                        "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs",
                        "-Xlinker", "--no-export-dynamic",
                    ],
                    .when(platforms: [.linux], configuration: .release)
                )
            ]
        ),
        // The reference argon2 C library, for argon2id key hashes (Debian: libargon2-dev).
        .systemLibrary(
            name: "CArgon2",
            pkgConfig: "libargon2",
            providers: [.apt(["libargon2-dev"])]
        ),
        // LibYAML's parser (Debian: libyaml-dev), for the config file.
        .systemLibrary(
            name: "CLibYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]
        ),
        // glibc's malloc.h, a header of the C library itself: nothing to install or link.
        .systemLibrary(name: "CMalloc"),
        // RelayYAML: the config file's YAML as a node tree, composed from LibYAML's events, with
        // YAML 1.1's implicit types, anchors and duplicate keys; no Foundation.
        .target(name: "RelayYAML", dependencies: ["CLibYAML"]),
        .target(
            name: "RelayRedis",
            dependencies: [
                "RelayWire",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The layers under the gateway, each its own target so the compiler keeps them from
        // reaching up (docs/architecture.md, "Modules"). RelayWire: bytes and their formats (JSON
        // scanning and rewriting, HTTP/1.1 syntax, SSE, the OpenAI wire types), pure.
        .target(
            name: "RelayWire",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: gatewaySettings
        ),
        // RelayHTTP: the HTTP/1.1 connections, the server's to its clients and the client's to
        // the backends.
        .target(
            name: "RelayHTTP",
            dependencies: [
                "RelayWire",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: gatewaySettings
        ),
        // RelayCore: the gateway (config, auth, limits, routing, the proxy flow, observability).
        .target(
            name: "RelayCore",
            dependencies: [
                "CArgon2",
                "CMalloc",
                "RelayRedis",
                "RelayWire",
                "RelayHTTP",
                "RelayYAML",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
            ],
            swiftSettings: gatewaySettings
        ),
        // A redis-server started and stopped by the tests, for both test targets.
        .target(
            name: "RelayTestSupport",
            dependencies: [
                "RelayRedis",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/RelayTestSupport"
        ),
        .testTarget(
            name: "RelayRedisTests",
            dependencies: [
                "RelayRedis",
                "RelayTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "RelayCoreTests",
            dependencies: [
                "RelayCore",
                "RelayWire",
                "RelayHTTP",
                "RelayRedis",
                "RelayYAML",
                "RelayTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
