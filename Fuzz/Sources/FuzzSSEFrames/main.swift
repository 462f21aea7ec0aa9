import FuzzSupport

// libFuzzer drives this target's LLVMFuzzerTestOneInput (FuzzSSEFrames.swift).
runLibFuzzer()
