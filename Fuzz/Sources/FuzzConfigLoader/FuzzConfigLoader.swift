// The config loader: YAML text, environment interpolation and overrides, validation.
//
// Any text gives a RelayConfig or a ConfigError that lists at least one problem, each with a
// message; never a crash or a hang. A secret from the environment never appears in a problem.
@testable import FuzzedConfig

/// Interpolated as `${RELAY_FUZZ_KEY}` by the seed configs; a value no message may repeat.
private let secret = "sk-fuzz-secret-7f3a9c"
private let environment = [
    "RELAY_FUZZ_KEY": secret,
    "RELAY_FUZZ_HOST": "127.0.0.1",
    "RELAY_FUZZ_EMPTY": "",
]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfigLoader(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    do {
        _ = try ConfigLoader.parse(yaml: text, environment: environment)
    } catch {
        if error.problems.isEmpty { fatalError("FuzzConfigLoader: a ConfigError without a problem") }
        for problem in error.problems {
            if problem.message.isEmpty { fatalError("FuzzConfigLoader: a problem without a message") }
            if problem.description.contains(secret) && !text.contains(secret) {
                fatalError("FuzzConfigLoader: a problem repeats an interpolated secret: \(problem.path)")
            }
        }
    }
    return 0
}
