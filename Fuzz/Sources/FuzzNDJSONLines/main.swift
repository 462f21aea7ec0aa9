import FuzzSupport

// libFuzzer drives this target's LLVMFuzzerTestOneInput (FuzzNDJSONLines.swift).
runLibFuzzer()
