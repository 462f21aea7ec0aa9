// swift-tools-version:6.2
// libFuzzer targets for the parsers that read outside bytes. Built only by scripts/fuzz:
//
//   swift build --package-path Fuzz -c debug -Xswiftc -sanitize=fuzzer,address --scratch-path .build-fuzz
//
// Only the Swift code is instrumented (-Xswiftc): the C in the dependencies (LibYAML,
// BoringSSL) is not Relay's and costs build time only.
//
// The Fuzzed* library targets are symlinks to the real source files in ../Sources, so the fuzzers
// run Relay's own code while compiling only the parsers and what they import, not the server.
import PackageDescription

let package = Package(
    name: "relay-fuzz",
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        // libFuzzer's driver, started by each target's main.swift (see FuzzSupport).
        .systemLibrary(name: "CLibFuzzer"),
        .target(name: "FuzzSupport", dependencies: ["CLibFuzzer"]),
        // The whole wire target (Sources/RelayWire): the request-body scanner and rewriter, the
        // SSE framer, the HTTP/1.1 syntax, the Messages ⇄ chat and Responses ⇄ chat translations.
        .target(
            name: "RelayWire",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        // The HTTP/1.1 parsers of clients' requests and backends' answers (from RelayHTTP), the
        // NDJSON line splitter and the Ollama stream translator (from RelayCore).
        .target(
            name: "FuzzedWire",
            dependencies: [
                "RelayWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        // The RESP2 reply parser of the Redis client.
        .target(name: "FuzzedRESP", dependencies: [.product(name: "NIOCore", package: "swift-nio")]),
        // Debian's LibYAML and the config's YAML node tree (Sources/RelayYAML).
        .systemLibrary(name: "CLibYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .target(name: "RelayYAML", dependencies: ["CLibYAML"]),
        // The whole config loader (Sources/RelayCore/Config).
        .target(
            name: "FuzzedConfig",
            dependencies: [
                "RelayWire",
                "RelayYAML",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .executableTarget(name: "FuzzClientRequest", dependencies: ["FuzzedWire", "RelayWire", "FuzzSupport"]),
        .executableTarget(name: "FuzzSSEFrames", dependencies: ["FuzzedWire", "RelayWire", "FuzzSupport"]),
        .executableTarget(name: "FuzzNDJSONLines", dependencies: ["FuzzedWire", "RelayWire", "FuzzSupport"]),
        .executableTarget(name: "FuzzOllamaStream", dependencies: ["FuzzedWire", "RelayWire", "FuzzSupport"]),
        .executableTarget(name: "FuzzMessagesRequest", dependencies: ["RelayWire", "FuzzSupport"]),
        .executableTarget(name: "FuzzMessagesStream", dependencies: ["RelayWire", "FuzzSupport"]),
        .executableTarget(name: "FuzzResponsesRequest", dependencies: ["RelayWire", "FuzzSupport"]),
        .executableTarget(name: "FuzzResponsesStream", dependencies: ["RelayWire", "FuzzSupport"]),
        .executableTarget(
            name: "FuzzHTTPRequests",
            dependencies: [
                "FuzzedWire", "RelayWire", "FuzzSupport", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        .executableTarget(
            name: "FuzzUpstreamResponse",
            dependencies: ["FuzzedWire", "RelayWire", "FuzzSupport", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .executableTarget(
            name: "FuzzRESPParser",
            dependencies: ["FuzzedRESP", "FuzzSupport", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .executableTarget(name: "FuzzConfigLoader", dependencies: ["FuzzedConfig", "FuzzSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
