import FuzzSupport

// libFuzzer drives this target's LLVMFuzzerTestOneInput (FuzzClientRequest.swift).
runLibFuzzer()
