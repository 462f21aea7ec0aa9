import FuzzSupport

// libFuzzer drives this target's LLVMFuzzerTestOneInput (FuzzHTTPRequests.swift).
runLibFuzzer()
