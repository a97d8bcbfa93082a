/* hash.h - FNV-1a (64-bit): a small, well-spread hash for in-memory
 * indexes and for checks against accidents, never against an adversary. */
#ifndef SW_HASH_H
#define SW_HASH_H

#include <stddef.h>
#include <stdint.h>

/* FNV's offset basis: the usual `seed`. */
#define SW_FNV1A_BASIS 14695981039346656037ull

/* Hashes `len` bytes at `p`, starting from `seed`. */
static inline uint64_t sw_fnv1a(const void *p, size_t len, uint64_t seed) {
    const unsigned char *s = p;
    uint64_t h = seed;
    for (size_t i = 0; i < len; i++) {
        h ^= s[i];
        h *= 1099511628211ull;
    }
    return h;
}

#endif
