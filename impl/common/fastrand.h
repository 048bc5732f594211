/* A per-thread xorshift64 generator: cheap, unsynchronised randomness for
 * choices such as select's poll order (not for anything security-related). */
#ifndef CPAT_COMMON_FASTRAND_H
#define CPAT_COMMON_FASTRAND_H

#include <stdint.h>

#include "common/clock.h"

static inline uint32_t cpat_fastrand(void) {
    static _Thread_local uint64_t x;
    if (!x) /* seeded per thread from the clock and the thread's own address */
        x = (cpat_now_ns() ^ (uint64_t)(uintptr_t)&x) | 1;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return (uint32_t)(x >> 32);
}

/* Uniform in [0, n) (Lemire's multiply-shift; bias < n / 2^32). */
static inline uint32_t cpat_fastrand_n(uint32_t n) {
    return (uint32_t)(((uint64_t)cpat_fastrand() * n) >> 32);
}

#endif
