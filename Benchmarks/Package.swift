// swift-tools-version:6.2
import PackageDescription

// Hot-path microbenchmarks (package-benchmark): time and allocations per operation of the
// per-request pieces of RelayCore. A package of its own, so the main build and CI never compile
// it; run it with scripts/microbench.

// The benchmarks measure Relay's own pieces, which are `package` declarations, not public: the
// HotPath target is compiled with relay's package name, so the compiler lets it see them as it
// lets relay's own targets. That name is SwiftPM's identity of the path dependency `..`: the
// last component of its directory (the one above this file's), without `.git`, lowercased, made
// a C identifier (SwiftPM's `-package-name` for relay's modules). The target has no package
// access of its own (`packageAccess: false`): SwiftPM would pass this package's name after the
// target's flags, and the compiler keeps the last `-package-name`.
let relayIdentity: String = {
    var directory = #filePath.split(separator: "/").dropLast(2).last.map(String.init) ?? "relay"
    if directory.hasSuffix(".git") { directory.removeLast(4) }
    var name = directory.lowercased().map { $0.isLetter || $0.isNumber || $0 == "_" ? $0 : "_" }
    if name.first?.isNumber == true { name[0] = "_" }
    return String(name)
}()

let package = Package(
    name: "relay-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "relay", path: ".."),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "HotPath",
            dependencies: [
                .product(name: "RelayCore", package: "relay"),
                .product(name: "RelayRedis", package: "relay"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/HotPath",
            packageAccess: false,
            swiftSettings: [.unsafeFlags(["-package-name", relayIdentity])],
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark")
            ]
        )
    ],
    swiftLanguageModes: [.v6]
)
