import FuzzSupport

// libFuzzer drives this target's LLVMFuzzerTestOneInput (FuzzMessagesStream.swift).
runLibFuzzer()
