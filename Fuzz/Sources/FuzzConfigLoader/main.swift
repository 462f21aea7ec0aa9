import FuzzSupport

// libFuzzer drives this target's LLVMFuzzerTestOneInput (FuzzConfigLoader.swift).
runLibFuzzer()
