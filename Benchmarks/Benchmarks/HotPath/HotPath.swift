import Benchmark
import Foundation

/// The hot-path microbenchmarks: time and mallocs per operation. `MICROBENCH_SMOKE=1` runs each
/// benchmark briefly, to check that they all build and run (not for figures).
let benchmarks: @Sendable () -> Void = {
    let smoke = ProcessInfo.processInfo.environment["MICROBENCH_SMOKE"] == "1"
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .throughput],
        timeUnits: .nanoseconds,
        warmupIterations: smoke ? 10 : 1_000,
        maxDuration: smoke ? .milliseconds(100) : .seconds(3),
        maxIterations: smoke ? 1_000 : 1_000_000
    )
    wireBenchmarks()
    authBenchmarks()
    limiterBenchmarks()
}
