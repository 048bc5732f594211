/* Monotonic time in nanoseconds: the one clock cpat's deadlines and latency
 * histograms use (CLOCK_MONOTONIC, a vDSO call, no syscall). */
#ifndef CPAT_COMMON_CLOCK_H
#define CPAT_COMMON_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t cpat_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Whether an absolute deadline (cpat_now_ns() time; UINT64_MAX: none) has
 * passed: the clock is read only when there is one. */
static inline int cpat_deadline_passed(uint64_t deadline_ns) {
    return deadline_ns != UINT64_MAX && cpat_now_ns() >= deadline_ns;
}

static inline struct timespec cpat_ns_to_timespec(uint64_t ns) {
    struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000u),
                          .tv_nsec = (long)(ns % 1000000000u)};
    return ts;
}

#endif
