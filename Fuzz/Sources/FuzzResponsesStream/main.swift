import FuzzSupport

// libFuzzer drives this target's LLVMFuzzerTestOneInput (FuzzResponsesStream.swift).
runLibFuzzer()
