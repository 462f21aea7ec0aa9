import FuzzSupport

// libFuzzer drives this target's LLVMFuzzerTestOneInput (FuzzRESPParser.swift).
runLibFuzzer()
