// The reference Argon2 library (Debian: libargon2-dev), for Relay's argon2id key hashes.
#include <argon2.h>
