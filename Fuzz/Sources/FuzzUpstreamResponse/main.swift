import FuzzSupport

// libFuzzer drives this target's LLVMFuzzerTestOneInput (FuzzUpstreamResponse.swift).
runLibFuzzer()
