import CLibFuzzer

#if canImport(Glibc)
    import Glibc
#endif

/// Runs libFuzzer with this process's arguments on the target's `LLVMFuzzerTestOneInput`, then
/// exits with its status.
///
/// SwiftPM links an executable target's `main.swift` as the program's `main` (it renames the
/// entry point and points `main` at it), so libFuzzer's own `main` never runs: each target's
/// `main.swift` calls this instead.
public func runLibFuzzer() -> Never {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, LLVMFuzzerTestOneInput))
}
