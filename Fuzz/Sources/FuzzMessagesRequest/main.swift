import FuzzSupport

// libFuzzer drives this target's LLVMFuzzerTestOneInput (FuzzMessagesRequest.swift).
runLibFuzzer()
