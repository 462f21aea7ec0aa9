// glibc's allocator statistics and trimming (`mallinfo2`, `malloc_trim`), which Swift's Glibc
// module does not export: HeapTrimmer gives the memory a burst freed back to the system.
#if defined(__GLIBC__) || defined(__linux__)
#include <malloc.h>
#endif
