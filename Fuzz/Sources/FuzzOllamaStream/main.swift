import FuzzSupport

// libFuzzer drives this target's LLVMFuzzerTestOneInput (FuzzOllamaStream.swift).
runLibFuzzer()
