import FuzzSupport

// libFuzzer drives this target's LLVMFuzzerTestOneInput (FuzzResponsesRequest.swift).
runLibFuzzer()
