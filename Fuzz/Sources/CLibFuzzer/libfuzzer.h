// libFuzzer's entry for programs that have a main function of their own (LLVM 11 and later;
// the Swift toolchain's libclang_rt.fuzzer has it), and the function each target defines with
// @_cdecl("LLVMFuzzerTestOneInput"). See FuzzSupport/RunLibFuzzer.swift.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
